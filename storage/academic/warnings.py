"""The stored academic warning per special student and semester, worked out from the grades;
which warnings the team has yet to hear of (new, or raised since they were told)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.academic.standing import (
    Course,
    Standing,
    WarningThresholds,
    is_raised,
    standing_of,
    warning_level,
)
from storage.models import AcademicWarning, Grade, WarningLevel

Pair = tuple[int, str]
"""(student id, semester name)."""
_CHUNK = 400


@dataclass(frozen=True, slots=True)
class WarningNews:
    """A warning the student's team is to be told of."""

    student_id: int
    semester: str
    level: WarningLevel
    standing: Standing
    raised: bool
    """True when the team had heard of a milder level for this semester."""


def course_of(grade: Grade) -> Course:
    return Course(
        code=grade.course_code,
        name=grade.course_name,
        nature=grade.nature,
        credits=grade.credits,
        passed=grade.passed,
        points=grade.points,
        retake=grade.retake,
    )


async def courses_of(session: AsyncSession, pairs: Collection[Pair]) -> dict[Pair, list[Course]]:
    """Each pair's grades as courses (pairs without grades are absent)."""
    found: dict[Pair, list[Course]] = {}
    for grade in await _grades(session, pairs):
        found.setdefault((grade.student_id, grade.semester), []).append(course_of(grade))
    return found


async def _grades(session: AsyncSession, pairs: Collection[Pair]) -> list[Grade]:
    ordered, grades = sorted(pairs), list[Grade]()
    for start in range(0, len(ordered), _CHUNK):
        matches = [
            and_(col(Grade.student_id) == sid, col(Grade.semester) == name)
            for sid, name in ordered[start : start + _CHUNK]
        ]
        query = select(Grade).where(or_(*matches)).order_by(col(Grade.id))
        grades.extend((await session.exec(query)).all())
    return grades


async def stored_warnings(
    session: AsyncSession, pairs: Iterable[Pair]
) -> dict[Pair, AcademicWarning]:
    wanted = set(pairs)
    students = {sid for sid, _ in wanted}
    query = select(AcademicWarning).where(col(AcademicWarning.student_id).in_(students))
    rows = (await session.exec(query)).all()
    return {(w.student_id, w.semester): w for w in rows if (w.student_id, w.semester) in wanted}


async def record_warnings(
    session: AsyncSession,
    *,
    semesters: Mapping[Pair, date],
    thresholds: WarningThresholds,
    now: datetime,
) -> list[WarningNews]:
    """Store each pair's level from its grades; the warnings its team has not heard of yet,
    marked as heard (the caller queues the messages in the same transaction)."""
    courses = await courses_of(session, semesters)
    stored = await stored_warnings(session, semesters)
    news: list[WarningNews] = []
    for pair, start in sorted(semesters.items()):
        standing = standing_of(courses.get(pair, []))
        level = warning_level(standing, thresholds)
        row = stored.get(pair) or AcademicWarning(
            student_id=pair[0], semester=pair[1], semester_start=start, created_at=now,
            updated_at=now,
        )  # fmt: skip
        row.level, row.semester_start, row.updated_at = level, start, now
        if level is not None and is_raised(level, above=row.notified_level):
            raised = row.notified_level is not None
            news.append(WarningNews(pair[0], pair[1], level, standing, raised))
            row.notified_level = level
        session.add(row)
    await session.flush()
    return news
