"""Whether a person has been shown the privacy notice: claimed once, atomically."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Person


async def claim_privacy_notice(session: AsyncSession, *, person_id: int, now: datetime) -> bool:
    """Mark the notice shown; True only for the one transaction that marked it first.

    A conditional UPDATE, not a read then a write: two first messages handled at once (two
    replicas, or one batch) both read "not shown", but only one UPDATE finds the column still
    NULL: PostgreSQL makes the second wait for the first's row lock and then re-checks the
    WHERE; SQLite's writers take the database lock one at a time."""
    person = Person.__table__.c  # type: ignore[attr-defined]
    claim = (
        update(Person)
        .where(person.id == person_id, col(Person.privacy_notice_at).is_(None))
        .values(privacy_notice_at=now)
    )
    result = await (await session.connection()).execute(claim)
    return bool(result.rowcount)
