"""Reminder bookkeeping (one ReminderLog row per person, kind and day) and the few facts about
people that reminders show: a student's name, class and college; a recipient's roles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.cases.files import CLOSED
from storage.models import (
    Assignment,
    CaseFile,
    Person,
    PersonKind,
    PersonRole,
    ReminderLog,
    Role,
    StudentCategory,
)


@dataclass(frozen=True, slots=True)
class StudentCard:
    """What a reminder may say about a student: nothing beyond name and class."""

    id: int
    name: str
    class_name: str | None
    college: str | None


async def claim(
    session: AsyncSession, *, person_id: int, kind: str, day: date, items: int, now: datetime
) -> bool:
    """Record the reminder before it is sent; False when it was already recorded (by an
    earlier run or by a second clock, whose insert waits for ours and then does nothing)."""
    connection = await session.connection()
    values = {"person_id": person_id, "kind": kind, "day": day, "items": items, "created_at": now}
    statement = _insert_once(connection.dialect.name).values(values)
    result = await connection.execute(statement)
    return result.scalar_one_or_none() is not None


async def claim_many(
    session: AsyncSession, *, kind: str, day: date, items: Mapping[int, int], now: datetime
) -> set[int]:
    """`claim` for many people at once (person id → item count): the ones recorded now."""
    if not items:
        return set()
    connection = await session.connection()
    rows = [
        {"person_id": person_id, "kind": kind, "day": day, "items": count, "created_at": now}
        for person_id, count in items.items()
    ]
    statement = _insert_once(connection.dialect.name, returning=col(ReminderLog.person_id))
    return {row[0] for row in await connection.execute(statement, rows)}


def _insert_once(dialect: str, *, returning: Any = None) -> Any:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(ReminderLog).on_conflict_do_nothing(
        index_elements=["person_id", "kind", "day"]
    )
    return statement.returning(col(ReminderLog.id) if returning is None else returning)


async def logged(session: AsyncSession, *, kind: str, day: date) -> set[int]:
    """The people who already have a reminder of `kind` recorded for `day`."""
    query = select(ReminderLog.person_id).where(ReminderLog.kind == kind, ReminderLog.day == day)
    return set((await session.exec(query)).all())


async def log_rows(session: AsyncSession, *, kind: str | None = None) -> Sequence[ReminderLog]:
    query = select(ReminderLog).order_by(col(ReminderLog.day), col(ReminderLog.person_id))
    if kind is not None:
        query = query.where(ReminderLog.kind == kind)
    return (await session.exec(query)).all()


async def student_cards(session: AsyncSession, ids: Sequence[int]) -> dict[int, StudentCard]:
    """Name, class and college only: the encrypted contact columns are never loaded."""
    query = select(Person.id, Person.name, Person.class_name, Person.college).where(
        col(Person.id).in_(set(ids))
    )
    rows = (await session.exec(query)).all()
    return {pid: StudentCard(pid, name, cls, college) for pid, name, cls, college in rows if pid}


async def names(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    query = select(Person.id, Person.name).where(col(Person.id).in_(set(ids)))
    return {pid: name for pid, name in (await session.exec(query)).all() if pid is not None}


async def admins_by_college(session: AsyncSession) -> dict[int, str]:
    """College admin → their college (admins without a college are left out)."""
    query = (
        select(Person.id, Person.college)
        .join(PersonRole, col(PersonRole.person_id) == col(Person.id))
        .where(PersonRole.role == Role.COLLEGE_ADMIN)
    )
    rows = (await session.exec(query)).all()
    return {pid: college for pid, college in rows if pid is not None and college}


async def special_students(session: AsyncSession) -> list[StudentCard]:
    """Students with a category or key attention: those who need a 1+1+1 team."""
    has_category = select(StudentCategory.student_id).where(
        col(StudentCategory.student_id) == col(Person.id)
    )
    query = (
        select(Person.id, Person.name, Person.class_name, Person.college)
        .where(Person.kind == PersonKind.STUDENT)
        .where(col(Person.key_attention).is_(True) | has_category.exists())
        .order_by(col(Person.college), col(Person.class_name), col(Person.name))
    )
    rows = (await session.exec(query)).all()
    return [StudentCard(pid, name, cls, college) for pid, name, cls, college in rows if pid]


async def seats_by_student(session: AsyncSession, ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Student → {seat: holder} for the given students."""
    query = select(Assignment).where(col(Assignment.student_id).in_(set(ids)))
    seats: dict[int, dict[str, int]] = {}
    for row in (await session.exec(query)).all():
        seats.setdefault(row.student_id, {})[row.role] = row.mentor_id
    return seats


async def planned_students(session: AsyncSession, ids: Sequence[int]) -> set[int]:
    """Students whose case file holds a 一生一策 plan, as a whole or in any of its four areas
    (encrypted: read in Python), or is closed (a closed file needs no plan)."""
    query = select(CaseFile).where(col(CaseFile.student_id).in_(set(ids)))
    return {case.student_id for case in (await session.exec(query)).all() if _planned(case)}


def _planned(case: CaseFile) -> bool:
    parts = (case.plan, case.plan_academic, case.plan_psych, case.plan_financial)
    written = any(part and part.strip() for part in (*parts, case.plan_employment))
    return written or case.status == CLOSED


async def seat_holders(session: AsyncSession, seat: str) -> list[int]:
    """Everyone holding `seat` in some student's team."""
    query = select(Assignment.mentor_id).where(Assignment.role == seat).distinct()
    return sorted((await session.exec(query)).all())
