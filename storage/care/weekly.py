"""Weekly reports (周报) for key-attention students."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Assignment, Person, WeeklyReport


async def key_students_of(session: AsyncSession, teacher_id: int) -> Sequence[Person]:
    """Key-attention students whose student-affairs seat the teacher holds."""
    query = (
        select(Person)
        .join(Assignment, col(Assignment.student_id) == col(Person.id))
        .where(Assignment.mentor_id == teacher_id)
        .where(Assignment.role == "student_affairs")
        .where(col(Person.key_attention).is_(True))
        .order_by(col(Person.class_name), col(Person.name))
    )
    return (await session.exec(query)).all()


async def reported_ids(session: AsyncSession, *, author_id: int, week_start: date) -> set[int]:
    query = (
        select(WeeklyReport.student_id)
        .where(WeeklyReport.author_id == author_id)
        .where(WeeklyReport.week_start == week_start)
    )
    return set((await session.exec(query)).all())


async def upsert(session: AsyncSession, report: WeeklyReport) -> WeeklyReport:
    query = (
        select(WeeklyReport)
        .where(WeeklyReport.student_id == report.student_id)
        .where(WeeklyReport.week_start == report.week_start)
    )
    existing = (await session.exec(query)).first()
    if existing is not None:
        existing.status, existing.note, existing.contacts = (
            report.status,
            report.note,
            report.contacts,
        )
        existing.author_id, existing.created_at = report.author_id, report.created_at
        report = existing
    session.add(report)
    await session.flush()
    return report
