"""Who sent a message: the person behind a messenger account, their roles and whether a form
is open, for one account or for every sender of a batch in one round trip."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Channel,
    Conversation,
    MessengerAccount,
    Person,
    PersonRole,
)
from storage.people.accounts import account_key
from storage.people.roles import holds_peer_seat, with_derived

SECRET_COLUMNS = ("phone", "guardian_name", "guardian_phone")
_PERSON_FIELDS = tuple(name for name in Person.model_fields if name not in SECRET_COLUMNS)


class Found(NamedTuple):
    person: Person
    roles: frozenset[str]
    conversing: bool
    """Whether a form is open for this person on the channel asked about."""


def lookup_key(channel: str, account: str) -> str:
    """How an account is matched: roster codes on the simulator, ids case-insensitively."""
    return account.strip() if channel == Channel.SIMULATOR else account_key(account)


async def identify(session: AsyncSession, *, channel: str, account: str) -> Found | None:
    found = await identify_many(session, channel=channel, accounts=[account])
    return found.get(lookup_key(channel, account))


async def identify_many(
    session: AsyncSession, *, channel: str, accounts: Sequence[str]
) -> dict[str, Found]:
    """Senders by `lookup_key`; unknown accounts are absent.

    This runs for every inbound message, so it is a Core query (no ORM identity map, a tenth
    of the cost) and the person is a detached snapshot without the encrypted contact columns:
    nothing about identity needs them."""
    keys = sorted({lookup_key(channel, account) for account in accounts})
    query = _identify_query(by_code=channel == Channel.SIMULATOR, many=len(keys) > 1)
    params = {"keys": keys} if len(keys) > 1 else {"key": keys[0]}
    connection = await session.connection()
    result = await connection.execute(query, params | {"channel": channel})
    grouped: dict[str, list[Any]] = {}
    for row in result:
        grouped.setdefault(row.lookup, []).append(row)
    return {key: _found(rows) for key, rows in grouped.items()}


def _found(rows: list[Any]) -> Found:
    first = rows[0]
    person = Person.model_construct(**{name: first[i] for i, name in enumerate(_PERSON_FIELDS)})
    stored = (row.role for row in rows if row.role is not None)
    roles = with_derived(stored, kind=person.kind, peer_seat=bool(first.is_peer))
    return Found(person, roles, first.conversation_id is not None)


@cache
def _identify_query(*, by_code: bool, many: bool) -> Any:
    """Built once: person, each role, whether they are anyone's peer mentor, open form.
    A lone key compares with `=`: an expanding IN is rendered again on every execution."""
    person = Person.__table__.c  # type: ignore[attr-defined]
    is_peer = holds_peer_seat(person.id).label("is_peer")
    lookup = person.code if by_code else col(MessengerAccount.account_key)
    query = (
        select(
            *(person[name] for name in _PERSON_FIELDS),
            col(PersonRole.role).label("role"),
            is_peer,
            col(Conversation.id).label("conversation_id"),
            lookup.label("lookup"),
        )
        .select_from(Person)
        .outerjoin(PersonRole, col(PersonRole.person_id) == person.id)
        .outerjoin(
            Conversation,
            and_(
                col(Conversation.person_id) == person.id,
                col(Conversation.channel) == bindparam("channel"),
            ),
        )
        .where(
            lookup.in_(bindparam("keys", expanding=True)) if many else lookup == bindparam("key")
        )
    )
    if by_code:
        return query
    return query.join(MessengerAccount, col(MessengerAccount.person_id) == person.id).where(
        col(MessengerAccount.channel) == bindparam("channel")
    )
