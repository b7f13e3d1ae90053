"""The 学习困难 ledger column, filled from the grades (seed 000 §三(一).2-3)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from messages.render import render
from storage.academic.standing import Course, Standing, standing_of
from storage.academic.warnings import courses_of, stored_warnings


async def academic_texts(
    session: AsyncSession, *, student_ids: Collection[int], semester: str
) -> dict[int, str]:
    """Per student, the text of 学位课平均绩点学分、补课不及格课程和留级、休学情况 for `semester`
    (a policy semester name): degree-course GPA, credits required vs earned, failed and retaken
    courses, the warning level. Students without grades that semester are absent."""
    pairs = {(student_id, semester) for student_id in student_ids}
    courses = await courses_of(session, pairs)
    warnings = await stored_warnings(session, courses)
    return {
        student_id: ledger_text(
            standing_of(found),
            level=warning.level if (warning := warnings.get((student_id, name))) else None,
        )
        for (student_id, name), found in courses.items()
    }


def ledger_text(standing: Standing, *, level: str | None) -> str:
    return render("academic_ledger_text", level=level, **standing_context(standing))


def standing_context(standing: Standing) -> dict[str, Any]:
    """A standing as the templates show it (ledger cell, warning message, CLI)."""
    return {
        "gpa": None if standing.degree_gpa is None else f"{standing.degree_gpa:.2f}",
        "required": credits_text(standing.required),
        "earned": credits_text(standing.earned),
        "failed_credits": credits_text(standing.failed_credits),
        "failed": [course_context(course) for course in standing.failed],
        "retakes": [course_context(course) for course in standing.retakes],
    }


def course_context(course: Course) -> dict[str, Any]:
    return {
        "name": course.name,
        "code": course.code,
        "degree": course.degree,
        "credits": credits_text(course.credits),
    }


def credits_text(value: float) -> str:
    """4.0 → "4", 1.5 → "1.5": credits as a timetable writes them."""
    return f"{value:g}"
