"""Job postings: storing them, the open ones for a student (their major first), and 报名."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import JobApplication, JobPosting, Person

MAJOR_SEPARATOR = "、"
_SEPARATORS = (",", "，", ";", "；", "/", " ", "\n")


def split_majors(text: str | None) -> tuple[str, ...]:
    """The majors written in a cell or a message (、 , ， ; / or spaces between them)."""
    joined = text or ""
    for separator in _SEPARATORS:
        joined = joined.replace(separator, MAJOR_SEPARATOR)
    parts = (part.strip() for part in joined.split(MAJOR_SEPARATOR))
    return tuple(dict.fromkeys(part for part in parts if part))


def majors_of(posting: JobPosting) -> tuple[str, ...]:
    return split_majors(posting.majors)


def is_for_major(posting: JobPosting, major: str | None) -> bool:
    """Whether a posting names this major (a posting naming none is for every major)."""
    majors = majors_of(posting)
    return not majors or (major is not None and major in majors)


def names_major(posting: JobPosting, major: str | None) -> bool:
    """Whether a posting names this major itself (what puts it first in the list)."""
    return major is not None and major in majors_of(posting)


def is_open(posting: JobPosting, today: date) -> bool:
    return posting.deadline >= today


async def add_posting(session: AsyncSession, posting: JobPosting) -> JobPosting:
    session.add(posting)
    await session.flush()
    return posting


async def add_postings(session: AsyncSession, postings: Sequence[JobPosting]) -> None:
    session.add_all(postings)
    await session.flush()


async def get_posting(session: AsyncSession, posting_id: int) -> JobPosting | None:
    return await session.get(JobPosting, posting_id)


async def open_postings(
    session: AsyncSession, *, today: date, major: str | None
) -> list[JobPosting]:
    """Postings whose deadline has not passed: those naming `major` first, then the rest;
    within each, the nearest deadline first."""
    query = (
        select(JobPosting)
        .where(col(JobPosting.deadline) >= today)
        .order_by(col(JobPosting.deadline), col(JobPosting.id))
    )
    postings = list((await session.exec(query)).all())
    return sorted(postings, key=lambda posting: not names_major(posting, major))


async def record_application(
    session: AsyncSession, *, posting_id: int, student_id: int, now: datetime
) -> bool:
    """Record a student's 报名 once: False when it was already on record."""
    if await session.get(JobApplication, (posting_id, student_id)) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(
                JobApplication(posting_id=posting_id, student_id=student_id, created_at=now)
            )
    except IntegrityError:  # a second replica recorded it a moment ago
        return False
    return True


@dataclass(frozen=True)
class Applied:
    posting: JobPosting
    at: datetime


async def applications_of(session: AsyncSession, student_id: int) -> list[Applied]:
    """A student's 报名, latest first."""
    query = (
        select(JobPosting, JobApplication.created_at)
        .join(JobApplication, col(JobApplication.posting_id) == col(JobPosting.id))
        .where(col(JobApplication.student_id) == student_id)
        .order_by(col(JobApplication.created_at).desc(), col(JobPosting.id).desc())
    )
    return [Applied(posting, at) for posting, at in (await session.exec(query)).all()]


async def applicant_count(session: AsyncSession, posting_id: int) -> int:
    query = select(col(JobApplication.student_id)).where(
        col(JobApplication.posting_id) == posting_id
    )
    return len((await session.exec(query)).all())


async def mark_pushed(session: AsyncSession, posting: JobPosting, *, now: datetime) -> None:
    posting.pushed_at = now
    session.add(posting)
    await session.flush()


async def majors_among(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, str | None]:
    """Each person's major (for matching a posting's majors)."""
    query = select(col(Person.id), col(Person.major)).where(col(Person.id).in_(set(person_ids)))
    return {pid: major for pid, major in (await session.exec(query)).all() if pid is not None}


_WEB_LINK = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)


def is_web_link(value: str) -> bool:
    """A posting's 链接 is an http(s) address and nothing else: it is shown to students, and a
    `javascript:` or `file:` link, spaces or control characters would be a trap (the
    channels escape the rest where they render markup)."""
    return _WEB_LINK.fullmatch(value.strip()) is not None
