"""Who sent a message: the person behind a messenger account, their roles and whether a form
is open, for one account or for every sender of a batch in one round trip."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.messaging.conversations import DRAFT_COLUMNS, Draft, draft_of, flush
from storage.messaging.inbound_rate import answered_count, answered_params
from storage.models import (
    Conversation,
    MessengerAccount,
    Person,
    PersonRole,
)
from storage.people import snapshot
from storage.people.accounts import account_key
from storage.people.roles import holds_peer_seat, with_derived


class Found(NamedTuple):
    person: Person
    roles: frozenset[str]
    draft: Draft | None
    """The form open for this person on the channel asked about, read in the same query."""
    answered: int = 0
    """Their messages on the channel answered since the `answered_since` asked about (the
    rate limit's count, storage/messaging/inbound_rate.py), read in the same query."""


class AccountMatch(StrEnum):
    """How a channel's accounts name people; the channel says which (bot.channels.base)."""

    MESSENGER_ACCOUNT = "messenger_account"
    """A platform id stored in MessengerAccount, matched case-insensitively (`account_key`)."""
    ROSTER_CODE = "roster_code"
    """The person's roster code itself (the simulator: anyone on the roster)."""


def lookup_key(account: str, *, match: AccountMatch) -> str:
    """The key an account is matched by: a roster code as typed, an id by `account_key`."""
    return account.strip() if match is AccountMatch.ROSTER_CODE else account_key(account)


async def identify(
    session: AsyncSession,
    *,
    channel: str,
    account: str,
    match: AccountMatch = AccountMatch.MESSENGER_ACCOUNT,
) -> Found | None:
    found = await identify_many(session, channel=channel, accounts=[account], match=match)
    return found.get(lookup_key(account, match=match))


async def identify_many(
    session: AsyncSession,
    *,
    channel: str,
    accounts: Sequence[str],
    match: AccountMatch = AccountMatch.MESSENGER_ACCOUNT,
    answered_since: datetime | None = None,
) -> dict[str, Found]:
    """Senders by `lookup_key`; unknown accounts are absent. `channel` picks the messenger
    accounts (for MESSENGER_ACCOUNT) and the open form; `match` comes from the channel;
    `answered_since` (None: not wanted) counts each sender's recently answered messages.

    This runs for every inbound message, so it is a Core query (no ORM identity map, a tenth
    of the cost) and the person is a detached snapshot without the encrypted contact columns:
    nothing about identity needs them. The open draft comes in the same round trip: the
    router would otherwise read it again for every message."""
    keys = sorted({lookup_key(account, match=match) for account in accounts})
    by_code = match is AccountMatch.ROSTER_CODE
    query = _identify_query(by_code=by_code, many=len(keys) > 1)
    params: dict[str, Any] = {"keys": keys} if len(keys) > 1 else {"key": keys[0]}
    params |= {"channel": channel, **answered_params(channel, answered_since)}
    await flush(session)  # the drafts this transaction wrote are the ones to read
    connection = await session.connection()
    result = await connection.execute(query, params)
    grouped: dict[str, list[Any]] = {}
    for row in result:
        grouped.setdefault(row.lookup, []).append(row)
    return {key: _found(rows) for key, rows in grouped.items()}


def _found(rows: list[Any]) -> Found:
    first = rows[0]
    person = snapshot.person_of(first)
    stored = (row.role for row in rows if row.role is not None)
    roles = with_derived(stored, kind=person.kind, peer_seat=bool(first.is_peer))
    draft = draft_of(first, offset=len(snapshot.FIELDS) + 2)
    return Found(person, roles, draft, int(first.answered))


@cache
def _identify_query(*, by_code: bool, many: bool) -> Any:
    """Built once: person, each role, whether they are anyone's peer mentor, the open form.
    A lone key compares with `=`: an expanding IN is rendered again on every execution."""
    person = Person.__table__.c  # type: ignore[attr-defined]
    is_peer = holds_peer_seat(person.id).label("is_peer")
    lookup = person.code if by_code else col(MessengerAccount.account_key)
    query = (
        select(
            *snapshot.columns(),
            col(PersonRole.role).label("role"),
            is_peer,
            *DRAFT_COLUMNS,
            lookup.label("lookup"),
            answered_count(person.id).label("answered"),
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
        .where(person.archived_at.is_(None))  # archived by retention (storage/retention.py)
    )
    if by_code:
        return query
    return query.join(MessengerAccount, col(MessengerAccount.person_id) == person.id).where(
        col(MessengerAccount.channel) == bindparam("channel")
    )
