"""The courses special students are retaking (重修), per student, for their college: what the
college hands the teaching departments (seed 000 §三(一).3)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Grade, Person


@dataclass(frozen=True, slots=True)
class Retake:
    student_code: str
    student_name: str
    class_name: str | None
    course_code: str
    course_name: str
    nature: str
    credits: float
    department: str | None
    teacher: str | None


async def retakes_for_college(
    session: AsyncSession, *, college: str | None, semester: str
) -> list[Retake]:
    """The 重修 courses of `semester` (a policy semester name), by class, student and course;
    `college` None: the whole school."""
    query = (
        select(Grade, Person.code, Person.name, Person.class_name)
        .join(Person, col(Person.id) == col(Grade.student_id))
        .where(col(Grade.semester) == semester, col(Grade.retake).is_(True))
        .order_by(
            col(Person.class_name), col(Person.name), col(Person.code), col(Grade.course_code)
        )
    )
    if college is not None:
        query = query.where(col(Person.college) == college)
    return [
        Retake(
            student_code=code,
            student_name=name,
            class_name=class_name,
            course_code=grade.course_code,
            course_name=grade.course_name,
            nature=grade.nature,
            credits=grade.credits,
            department=grade.department,
            teacher=grade.teacher,
        )
        for grade, code, name, class_name in (await session.exec(query)).all()
    ]
