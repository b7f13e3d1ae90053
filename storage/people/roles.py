"""Who holds which role: the roles the roster stores, and the two a student's record implies.

`student` belongs to every student; `peer_mentor` to a student who holds some team's peer seat
(an Assignment with the peer_mentor seat). Both are derived here, never stored, so a cleared
seat ends the role at once. Every query that needs someone's roles comes here;
`handlers.access` decides on the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Exists
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Assignment, Person, PersonKind, PersonRole, Role, TeamRole

CHUNK = 10_000

DERIVED = frozenset({Role.STUDENT, Role.PEER_MENTOR})
"""Roles no roster row grants: they follow from the person's kind and team seats."""


def holds_peer_seat(person_id: Any) -> Exists:
    """SQL: the person holds the peer seat of at least one student's team."""
    return (
        select(col(Assignment.student_id))
        .where(col(Assignment.mentor_id) == person_id)
        .where(col(Assignment.role) == TeamRole.PEER_MENTOR)
        .exists()
    )


def with_derived(stored: Iterable[str], *, kind: str, peer_seat: bool) -> frozenset[str]:
    """A person's roles: what the roster stored, plus `student` and `peer_mentor` as implied."""
    roles = set(stored) - DERIVED
    if kind == PersonKind.STUDENT:
        roles.add(Role.STUDENT)
        if peer_seat:
            roles.add(Role.PEER_MENTOR)
    return frozenset(roles)


async def roles_of(
    session: AsyncSession, ids: Sequence[int] | None = None
) -> dict[int, frozenset[str]]:
    """Each person's roles (everyone's when `ids` is None), two queries per chunk of ids
    (asyncpg takes at most 32,767 parameters per statement)."""
    if ids is None:
        return await _roles(session, None)
    wanted = sorted(set(ids))
    found: dict[int, frozenset[str]] = {}
    for start in range(0, len(wanted), CHUNK):
        found |= await _roles(session, wanted[start : start + CHUNK])
    return found


async def _roles(session: AsyncSession, wanted: list[int] | None) -> dict[int, frozenset[str]]:
    person = select(col(Person.id), col(Person.kind), holds_peer_seat(col(Person.id)).label("peer"))
    stored = select(col(PersonRole.person_id), col(PersonRole.role))
    if wanted is not None:
        person = person.where(col(Person.id).in_(wanted))
        stored = stored.where(col(PersonRole.person_id).in_(wanted))
    held: dict[int, set[str]] = {}
    for person_id, role in (await session.exec(stored)).all():
        held.setdefault(person_id, set()).add(role)
    return {
        pid: with_derived(held.get(pid, ()), kind=kind, peer_seat=bool(peer))
        for pid, kind, peer in (await session.exec(person)).all()
        if pid is not None
    }


async def people_with_role(
    session: AsyncSession, role: str, *, college: str | None = None
) -> list[int]:
    """Everyone holding `role` (stored or derived), optionally only in one college, by id."""
    query = select(col(Person.id))
    if role == Role.STUDENT:
        query = query.where(Person.kind == PersonKind.STUDENT)
    elif role == Role.PEER_MENTOR:
        query = query.where(Person.kind == PersonKind.STUDENT, holds_peer_seat(col(Person.id)))
    else:
        query = query.join(PersonRole, col(PersonRole.person_id) == col(Person.id)).where(
            PersonRole.role == role
        )
    if college is not None:
        query = query.where(Person.college == college)
    return sorted({pid for pid in (await session.exec(query)).all() if pid is not None})
