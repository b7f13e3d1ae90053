"""Aid postings (资助): storing them, the open ones a student may see, and those whose
deadline reminder is due."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AidPosting, Assignment, TeamRole


async def add_posting(session: AsyncSession, posting: AidPosting) -> AidPosting:
    session.add(posting)
    await session.flush()
    return posting


async def get_posting(session: AsyncSession, posting_id: int) -> AidPosting | None:
    return await session.get(AidPosting, posting_id)


def is_open(posting: AidPosting, today: date) -> bool:
    return posting.deadline >= today


def _for_student(student_id: int, college: str | None) -> ColumnElement[bool]:
    """Postings meant for this student: the whole school's, their college's, and those of
    the teacher who holds their student-affairs seat."""
    whole_school = and_(
        col(AidPosting.scope_college).is_(None), col(AidPosting.scope_teacher_id).is_(None)
    )
    teachers = select(Assignment.mentor_id).where(
        Assignment.student_id == student_id, Assignment.role == TeamRole.STUDENT_AFFAIRS
    )
    mine = col(AidPosting.scope_teacher_id).in_(teachers)
    if college is None:
        return or_(whole_school, mine)
    return or_(whole_school, col(AidPosting.scope_college) == college, mine)


async def open_for_student(
    session: AsyncSession, *, student_id: int, college: str | None, today: date
) -> list[AidPosting]:
    """The open postings a student may see, the nearest deadline first."""
    query = (
        select(AidPosting)
        .where(col(AidPosting.deadline) >= today, _for_student(student_id, college))
        .order_by(col(AidPosting.deadline), col(AidPosting.id))
    )
    return list((await session.exec(query)).all())


async def visible_to_student(
    session: AsyncSession, *, posting_id: int, student_id: int, college: str | None
) -> AidPosting | None:
    """One posting, if it is meant for this student (open or not)."""
    query = select(AidPosting).where(
        col(AidPosting.id) == posting_id, _for_student(student_id, college)
    )
    return (await session.exec(query)).first()


async def open_postings(session: AsyncSession, *, today: date) -> list[AidPosting]:
    """Every open posting (what staff browse), the nearest deadline first."""
    query = (
        select(AidPosting)
        .where(col(AidPosting.deadline) >= today)
        .order_by(col(AidPosting.deadline), col(AidPosting.id))
    )
    return list((await session.exec(query)).all())


async def closing_on(session: AsyncSession, deadline: date) -> list[AidPosting]:
    """Postings whose last day is `deadline` (their reminder goes out a few days before)."""
    query = select(AidPosting).where(col(AidPosting.deadline) == deadline)
    return list((await session.exec(query.order_by(col(AidPosting.id)))).all())
