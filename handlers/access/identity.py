"""Map a messenger account to a person and the roles they hold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.messaging.conversations import Draft
from storage.models import Person
from storage.people import identify as senders
from storage.people.identify import AccountMatch


@dataclass(frozen=True, slots=True)
class Identity:
    person: Person
    roles: frozenset[str]
    conversing: bool = True
    """False when no form was open as the message arrived: nothing to load."""
    draft: Draft | None = None
    """The open form, read with the identity; None means look it up if `conversing`."""
    answered_recently: int = 0
    """Their messages answered since the lookup's `answered_since` (the rate limit's count)."""

    @property
    def person_id(self) -> int:
        assert self.person.id is not None
        return self.person.id


def _identity(found: senders.Found) -> Identity:
    draft = found.draft
    return Identity(
        found.person,
        found.roles,
        conversing=draft is not None,
        draft=draft,
        answered_recently=found.answered,
    )


async def identify(
    session: AsyncSession,
    *,
    channel: str,
    account: str,
    match: AccountMatch = AccountMatch.MESSENGER_ACCOUNT,
) -> Identity | None:
    """`match`: how the channel's accounts name people (`HandlerConfig.match_for`)."""
    found = await senders.identify(session, channel=channel, account=account, match=match)
    return None if found is None else _identity(found)


async def identify_many(
    session: AsyncSession,
    *,
    channel: str,
    accounts: Sequence[str],
    match: AccountMatch,
    answered_since: datetime | None = None,
) -> dict[str, Identity]:
    """Identities by `senders.lookup_key(account, match=match)`; strangers are absent.
    `answered_since`: count each one's messages answered since then (`answered_recently`)."""
    found = await senders.identify_many(
        session, channel=channel, accounts=accounts, match=match, answered_since=answered_since
    )
    return {key: _identity(each) for key, each in found.items()}
