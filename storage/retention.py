"""Retention: students some years after graduation are archived and their sensitive data removed.

A student is due from 1 September of (graduation year + the retention years): the start of the
academic year that many full years after the summer they graduated. Archiving keeps the person
row (学号, 姓名, college, class, graduation year) and every care record's row, so past
semesters' contact counts still add up, but removes what is sensitive (docs/retention.md):
every encrypted column of the rows about the student (derived from the models), the messages
added to their alerts, their categories, team seats, messenger accounts, open forms and the
copies of messages sent to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Table, delete, select, update
from sqlmodel import SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import audit
from storage.crypto import EncryptedText
from storage.models import (
    Assignment,
    Conversation,
    MessengerAccount,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonKind,
    StudentCategory,
)

ARCHIVE_MONTH_DAY = (9, 1)
SUBJECT_COLUMNS = ("student_id", "person_id")
"""The column that names the person a row is about (not its author, sender or teacher)."""


@dataclass(frozen=True, slots=True)
class Archivable:
    id: int
    code: str
    name: str
    graduation_year: int


def last_archived_year(today: date, *, years: int) -> int:
    """The latest graduation year whose students are due on `today`."""
    started = (today.month, today.day) >= ARCHIVE_MONTH_DAY
    return (today.year if started else today.year - 1) - years


async def due_students(session: AsyncSession, *, today: date, years: int) -> list[Archivable]:
    """Students due for archiving and not archived yet, by graduation year and 学号."""
    query = (
        select(col(Person.id), col(Person.code), col(Person.name), col(Person.graduation_year))
        .where(col(Person.kind) == PersonKind.STUDENT)
        .where(col(Person.archived_at).is_(None))
        .where(col(Person.graduation_year) <= last_archived_year(today, years=years))
        .order_by(col(Person.graduation_year), col(Person.code))
    )
    connection = await session.connection()
    rows = await connection.execute(query)
    return [Archivable(**row._asdict()) for row in rows]


async def archive(session: AsyncSession, student: Archivable, *, now: datetime) -> None:
    """Archive one student (their sensitive data removed, audited) in the session's
    transaction."""
    connection = await session.connection()
    for table, subject in _subject_tables():
        blank = _blanked(table)
        await connection.execute(update(table).where(subject == student.id).values(blank))
    for table, pointer, parent in _child_tables():
        rows = select(parent.c.id).where(parent.c.student_id == student.id)
        blank = _blanked(table)
        await connection.execute(update(table).where(pointer.in_(rows)).values(blank))
    for model, column in _REMOVED:
        await connection.execute(delete(model).where(column == student.id))
    sent = (OutboxStatus.SENT, OutboxStatus.FAILED)
    await connection.execute(
        delete(OutboxMessage).where(
            col(OutboxMessage.person_id) == student.id, col(OutboxMessage.status).in_(sent)
        )
    )
    await connection.execute(
        update(Person)
        .where(col(Person.id) == student.id)
        .values(key_attention=False, key_attention_since=None, archived_at=now, updated_at=now)
    )
    await audit.record(session, action="retention_archive", at=now, subject_id=student.id)


_REMOVED: tuple[tuple[type[SQLModel], Any], ...] = (
    (StudentCategory, col(StudentCategory.student_id)),
    (Assignment, col(Assignment.student_id)),
    (MessengerAccount, col(MessengerAccount.person_id)),
    (Conversation, col(Conversation.person_id)),
)


def _encrypted(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if isinstance(c.type, EncryptedText)]


def _subject_tables() -> list[tuple[Table, Column[Any]]]:
    """Tables with nullable encrypted columns, and the column naming whom a row is about."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        if not any(c.nullable for c in _encrypted(table)):
            continue
        if table.name == Person.__tablename__:
            found.append((table, table.c.id))
            continue
        subject = next((table.c[n] for n in SUBJECT_COLUMNS if n in table.c), None)
        if subject is not None and _points_at_person(subject):
            found.append((table, subject))
    return found


def _points_at_person(column: Column[Any]) -> bool:
    return any(fk.column.table.name == Person.__tablename__ for fk in column.foreign_keys)


def _child_tables() -> list[tuple[Table, Column[Any], Table]]:
    """Tables with encrypted columns but no subject, under a row about a student (the
    messages added to an alert): each, its column pointing at the parent, and the parent."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        if not _encrypted(table) or any(n in table.c for n in SUBJECT_COLUMNS):
            continue
        for fk in table.foreign_keys:
            parent = fk.column.table
            if isinstance(parent, Table) and "student_id" in parent.c and fk.column.name == "id":
                found.append((table, fk.parent, parent))
    return found


def _blanked(table: Table) -> dict[str, str | None]:
    """Each encrypted column emptied: NULL, or an (encrypted) empty text where NULL is not
    allowed."""
    return {c.name: None if c.nullable else "" for c in _encrypted(table)}
