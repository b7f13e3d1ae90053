"""Queries about people: lookup by code, roles, accounts and listings (senders: people.identify)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    MessengerAccount,
    Person,
)


async def find_by_code(session: AsyncSession, code: str) -> Person | None:
    return (await session.exec(select(Person).where(Person.code == code.strip()))).first()


async def list_people(session: AsyncSession) -> Sequence[Person]:
    query = select(Person).order_by(col(Person.kind).desc(), col(Person.college), col(Person.code))
    return (await session.exec(query)).all()


async def accounts_for(
    session: AsyncSession, person_ids: Sequence[int]
) -> dict[tuple[int, str], str]:
    """(person id, channel) → messenger account, for the given people."""
    query = select(MessengerAccount).where(col(MessengerAccount.person_id).in_(person_ids))
    rows = (await session.exec(query)).all()
    return {(row.person_id, row.channel): row.account for row in rows}


async def codes_for(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, str]:
    query = select(Person.id, Person.code).where(col(Person.id).in_(person_ids))
    return {pid: code for pid, code in (await session.exec(query)).all() if pid is not None}
