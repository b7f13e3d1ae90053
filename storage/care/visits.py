"""Queries about students' teams and their visit logs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Assignment, CaseFile, Category, Person, StudentCategory, VisitLog
from storage.people import snapshot


async def assigned_students(session: AsyncSession, mentor_id: int) -> list[tuple[Person, str]]:
    """The students in whose team the mentor sits, by class and name; each student once, with
    one seat, even when the mentor holds two seats of the same team."""
    connection = await session.connection()
    seats: dict[int | None, tuple[Person, str]] = {}
    for row in await connection.execute(_ASSIGNED, {"mentor_id": mentor_id}):
        person = snapshot.person_of(row)
        seats.setdefault(person.id, (person, row.seat))
    return list(seats.values())


# Read on every step of a visit-log form that shows the student list: Core, built once, and
# a snapshot without the encrypted contact columns (nothing here shows them).
_ASSIGNED = (
    core_select(*snapshot.columns(), col(Assignment.role).label("seat"))
    .join(Assignment, col(Assignment.student_id) == col(Person.id))
    .where(col(Assignment.mentor_id) == bindparam("mentor_id"))
    .order_by(col(Person.class_name), col(Person.name), col(Person.code), col(Assignment.role))
)


async def team_of(session: AsyncSession, student_id: int) -> dict[str, Person]:
    query = (
        select(Assignment.role, Person)
        .join(Person, col(Person.id) == col(Assignment.mentor_id))
        .where(Assignment.student_id == student_id)
    )
    return {role: person for role, person in (await session.exec(query)).all()}


async def students_named(session: AsyncSession, token: str) -> Sequence[Person]:
    """Students whose name or 学号 is exactly `token` (anyone's, for permission checks), by
    class, name and 学号: a list of namesakes is shown in that order, not the table's."""
    query = (
        select(Person)
        .where(Person.kind == "student")
        .where((col(Person.name) == token) | (col(Person.code) == token))
        .order_by(col(Person.class_name), col(Person.name), col(Person.code))
    )
    return (await session.exec(query)).all()


async def add_log(session: AsyncSession, log: VisitLog) -> VisitLog:
    session.add(log)
    await session.flush()
    return log


async def last_log_by(session: AsyncSession, author_id: int) -> VisitLog | None:
    query = (
        select(VisitLog)
        .where(VisitLog.author_id == author_id)
        .order_by(col(VisitLog.created_at).desc(), col(VisitLog.id).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


async def delete_log(session: AsyncSession, log: VisitLog) -> None:
    await session.delete(log)
    await session.flush()


async def latest_logs(
    session: AsyncSession, student_id: int, *, limit: int = 5, author_id: int | None = None
) -> list[tuple[VisitLog, str]]:
    """The student's most recent logs with the author's name (optionally one author's)."""
    query = (
        select(VisitLog, Person.name)
        .join(Person, col(Person.id) == col(VisitLog.author_id))
        .where(VisitLog.student_id == student_id)
        .order_by(col(VisitLog.occurred_at).desc())
        .limit(limit)
    )
    if author_id is not None:
        query = query.where(VisitLog.author_id == author_id)
    return [(log, name) for log, name in (await session.exec(query)).all()]


async def last_contacts(
    session: AsyncSession, student_ids: Sequence[int], *, author_id: int | None = None
) -> dict[int, datetime]:
    query = (
        select(VisitLog.student_id, func.max(VisitLog.occurred_at))
        .where(col(VisitLog.student_id).in_(student_ids))
        .group_by(col(VisitLog.student_id))
    )
    if author_id is not None:
        query = query.where(VisitLog.author_id == author_id)
    rows = (await session.exec(query)).all()
    return {sid: at for sid, at in rows if at is not None}  # func.max keeps UTCDateTime


async def contacts_between(
    session: AsyncSession, student_id: int, *, start: datetime, end: datetime
) -> int:
    query = (
        select(func.count())
        .select_from(VisitLog)
        .where(VisitLog.student_id == student_id)
        .where(col(VisitLog.occurred_at) >= start)
        .where(col(VisitLog.occurred_at) < end)
    )
    return int((await session.exec(query)).one())


async def category_names(session: AsyncSession, student_id: int) -> list[str]:
    query = (
        select(Category.name)
        .join(StudentCategory, col(StudentCategory.category_code) == col(Category.code))
        .where(StudentCategory.student_id == student_id)
        .order_by(col(Category.sort_order))
    )
    return list((await session.exec(query)).all())


async def case_file(session: AsyncSession, student_id: int) -> CaseFile | None:
    query = select(CaseFile).where(CaseFile.student_id == student_id)
    return (await session.exec(query)).first()
