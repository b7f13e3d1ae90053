"""Demo grades: the special students' courses of the current and the previous semester, some
failed, so that a few students carry a 黄色 or 红色 academic warning and the ledger's 学习困难
column has something to say."""

from __future__ import annotations

import random
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.academic.grading import mark_of_score
from storage.academic.standing import Course, WarningThresholds, standing_of, warning_level
from storage.demo.plan import DemoPlan
from storage.models import AcademicWarning, CourseNature, Grade, Person

CATALOGUE: tuple[tuple[str, str, str, float, str], ...] = (
    ("MATH101", "高等数学", "学位课", 4, "数学学院"),
    ("MATH102", "线性代数", "学位课", 3, "数学学院"),
    ("CS101", "程序设计基础", "学位课", 3, "计算机学院"),
    ("ENG101", "大学英语", "必修", 3, "外国语学院"),
    ("PHY101", "大学物理", "必修", 3, "物理学院"),
    ("POL101", "思想道德与法治", "必修", 2, "马克思主义学院"),
    ("PE101", "体育", "选修", 1, "体育部"),
)
"""(code, name, nature, credits, 开课单位) of the courses every demo student takes."""
TEACHERS = ("赵老师", "钱老师", "孙老师", "李老师", "周老师", "吴老师", "郑老师")
STRUGGLING = 0.15
"""The share of special students who fail something in a semester."""
DEGREE_FAILURE = 0.35
"""The share of those who fail a degree course too."""


@dataclass(frozen=True)
class DemoSemester:
    name: str
    start: date


def shipped_semesters() -> tuple[DemoSemester, ...]:
    """The semesters of the shipped policy file (storage/data/policy.toml), for a demo loaded
    without a policy at hand (tests): storage reads the file's dates, not its rules."""
    text = resources.files("storage.data").joinpath("policy.toml").read_text("utf-8")
    rows = tomllib.loads(text).get("semester", [])
    return tuple(DemoSemester(str(row["name"]), row["start"]) for row in rows)


def demo_semesters(
    now: datetime, tz: ZoneInfo, semesters: Sequence[DemoSemester]
) -> tuple[DemoSemester, ...]:
    """(previous, current): the last two of `semesters` begun by today, in order."""
    today = now.astimezone(tz).date()
    begun = sorted((s for s in semesters if s.start <= today), key=lambda s: s.start)
    return tuple(begun[-2:])


async def load_demo_grades(
    session: AsyncSession,
    plan: DemoPlan,
    *,
    now: datetime,
    tz: ZoneInfo,
    seed: int,
    semesters: Sequence[DemoSemester] = (),
) -> None:
    """Insert both semesters' grades and the warnings they earn (at the shipped thresholds;
    told already: loading the demo sends nothing)."""
    rng = random.Random(f"{seed}:grades")
    people = await session.exec(select(Person.code, Person.id))
    ids: dict[str, int] = {code: id_ for code, id_ in people.all() if id_ is not None}
    grades: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    for team in plan.teams:
        failed: set[str] = set()
        for semester in demo_semesters(now, tz, semesters or shipped_semesters()):
            rows = _semester_rows(rng, ids[team.student.code], semester, retaken=failed, now=now)
            failed = {row["course_code"] for row in rows if not row["passed"]}
            grades.extend(rows)
            warnings.append(_warning(rows, semester, now=now))
    if grades:
        await session.exec(insert(Grade), params=grades)
        await session.exec(insert(AcademicWarning), params=warnings)


def _semester_rows(
    rng: random.Random,
    student_id: int,
    semester: DemoSemester,
    *,
    retaken: set[str],
    now: datetime,
) -> list[dict[str, Any]]:
    failing, rows = _failing(rng), []
    for index, (code, name, nature, credits, department) in enumerate(CATALOGUE):
        score = float(rng.randint(35, 59) if code in failing else rng.randint(62, 96))
        mark = mark_of_score(score)
        rows.append(
            {
                "student_id": student_id,
                "semester": semester.name,
                "course_code": code,
                "course_name": name,
                "nature": nature,
                "credits": credits,
                "score": score,
                "passed": mark.passed,
                "points": mark.points,
                "retake": code in retaken,
                "department": department,
                "teacher": TEACHERS[index % len(TEACHERS)],
                "imported_at": now,
            }
        )
    return rows


def _failing(rng: random.Random) -> set[str]:
    """The courses a student fails: usually none; three non-degree courses (黄色); and now and
    then a degree course as well (红色)."""
    if rng.random() >= STRUGGLING:
        return set()
    failing = set(rng.sample([c[0] for c in CATALOGUE if c[2] != CourseNature.DEGREE], 3))
    if rng.random() < DEGREE_FAILURE:
        failing.add(rng.choice([c[0] for c in CATALOGUE if c[2] == CourseNature.DEGREE]))
    return failing


def _warning(
    rows: Sequence[dict[str, Any]], semester: DemoSemester, *, now: datetime
) -> dict[str, Any]:
    courses = [
        Course(r["course_code"], r["course_name"], r["nature"], r["credits"], r["passed"],
               r["points"], r["retake"])
        for r in rows
    ]  # fmt: skip
    level = warning_level(standing_of(courses), WarningThresholds())
    return {
        "student_id": rows[0]["student_id"],
        "semester": semester.name,
        "semester_start": semester.start,
        "level": level,
        "notified_level": level,
        "created_at": now,
        "updated_at": now,
    }
