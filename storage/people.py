"""Queries about people: lookup by messenger account or code, roles, and listings."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.orm import defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Assignment,
    Channel,
    MessengerAccount,
    Person,
    PersonKind,
    PersonRole,
    Role,
    TeamRole,
)

SECRET_COLUMNS = ("phone", "guardian_name", "guardian_phone")


async def identify(
    session: AsyncSession, *, channel: str, account: str
) -> tuple[Person, frozenset[str]] | None:
    """The person behind an account with all their roles, in one round trip.

    This runs for every inbound message, so the encrypted contact columns are not loaded (and
    raise if touched): nothing about identity needs them.
    """
    if channel == Channel.SIMULATOR:
        params = {"code": account.strip()}
    else:
        params = {"channel": channel, "account_key": account.strip().lower()}
    query = _identify_query(by_code=channel == Channel.SIMULATOR)
    rows = (await session.exec(query, params=params)).all()
    if not rows:
        return None
    person = rows[0][0]
    roles = {role for _, role, _ in rows if role is not None}
    if person.kind == PersonKind.STUDENT:
        roles.add(Role.STUDENT)
        if rows[0][2]:
            roles.add(Role.PEER_MENTOR)
    return person, frozenset(roles)


@cache
def _identify_query(*, by_code: bool) -> Any:
    """Built once: person, each role, and whether they are anyone's peer mentor."""
    is_peer = (
        select(Assignment.student_id)
        .where(col(Assignment.mentor_id) == col(Person.id))
        .where(Assignment.role == TeamRole.PEER_MENTOR)
        .exists()
    )
    query = (
        select(Person, PersonRole.role, is_peer)
        .outerjoin(PersonRole, col(PersonRole.person_id) == col(Person.id))
        .options(*(defer(getattr(Person, c), raiseload=True) for c in SECRET_COLUMNS))
    )
    if by_code:
        return query.where(col(Person.code) == bindparam("code"))
    return (
        query.join(MessengerAccount, col(MessengerAccount.person_id) == col(Person.id))
        .where(col(MessengerAccount.channel) == bindparam("channel"))
        .where(col(MessengerAccount.account_key) == bindparam("account_key"))
    )


async def find_by_code(session: AsyncSession, code: str) -> Person | None:
    return (await session.exec(select(Person).where(Person.code == code.strip()))).first()


async def list_people(session: AsyncSession) -> Sequence[Person]:
    query = select(Person).order_by(col(Person.kind).desc(), col(Person.college), col(Person.code))
    return (await session.exec(query)).all()


async def roles_by_person(session: AsyncSession) -> dict[int, set[str]]:
    """Every person's roster roles plus derived peer-mentor roles, in two queries."""
    result: dict[int, set[str]] = {}
    for person_id, role in (
        await session.exec(select(PersonRole.person_id, PersonRole.role))
    ).all():
        result.setdefault(person_id, set()).add(role)
    peers = await session.exec(
        select(Assignment.mentor_id).where(Assignment.role == TeamRole.PEER_MENTOR).distinct()
    )
    for mentor_id in peers.all():
        result.setdefault(mentor_id, set()).add(Role.PEER_MENTOR)
    return result


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
