"""What every handler is given: the session, the time, the few settings handlers need and,
where the caller has one, a reader for long read-only work off the event loop.

`ctx.read(work)` is how a handler runs such work: on the reader (storage/reading.py: its own
connection, committed data only, off the loop) when the context has one, else on the
handler's own session (which also sees what this transaction wrote). Give a context a reader
only where nothing the work must see is written earlier in the same transaction: the
scheduled jobs (bot/schedule/jobs.py) and the work runner (bot/work.py), which start every
run with a fresh transaction. Long writing work goes in rounds (`ctx.round()`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.envelopes import Outbound
from handlers.policy.model import Policy
from storage.people.identify import AccountMatch
from storage.reading import Reader, ReadWork

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class HandlerConfig:
    """Settings that shape handler behaviour, passed in by the web process."""

    tz: ZoneInfo
    hotline: str
    channels: tuple[str, ...] = ()
    """Enabled channels for proactive messages, in order of preference."""
    crisis_words: tuple[str, ...] = ()
    alert_escalation: timedelta = timedelta(hours=2)
    broadcast_approval_over: int = 500
    """A broadcast to more people than this needs a second admin's 批准."""
    rate_limit_per_minute: int = 20
    """Messages a person may send a minute before one notice and silence (0: no limit)."""
    policy: Policy | None = None
    """The validated policy file; None means the shipped defaults."""
    account_match: Mapping[str, AccountMatch] = field(default_factory=dict)
    """How each channel's accounts name people, from the channels' own descriptions
    (bot.channels); a channel not listed uses messenger accounts."""

    def match_for(self, channel: str) -> AccountMatch:
        return self.account_match.get(channel, AccountMatch.MESSENGER_ACCOUNT)


@dataclass(frozen=True, slots=True)
class Context:
    session: AsyncSession
    now: datetime
    config: HandlerConfig
    reader: Reader | None = None
    rounds: Callable[[], AbstractAsyncContextManager[AsyncSession]] | None = None
    """A transaction of its own, committed when the round ends, for work done in rounds (a
    school's digests): each round holds the database's write lock only briefly, and a crash
    keeps the rounds done. Given where `session` is fresh too (jobs, the work runner)."""

    async def read(self, work: ReadWork[T]) -> T:
        """`work(session)`, read-only: on the reader if there is one, else on `self.session`.

        `work` must not use `self.session`; it may use the context's other fields."""
        if self.reader is None:
            return await work(self.session)
        return await self.reader.read(work)

    @asynccontextmanager
    async def round(self) -> AsyncIterator[Context]:
        """A context for one round of work done in rounds: with a transaction of its own
        when the caller gave `rounds` (then `self.session` must be left alone until the
        rounds are over: on SQLite it would hold the write lock they wait for), else this
        context itself."""
        if self.rounds is None:
            yield self
            return
        async with self.rounds() as session:
            yield replace(self, session=session)


Errand = Callable[[Context, dict[str, Any], int | None], Awaitable[list[Outbound]]]
"""Long work a chat may ask for (handlers/errands.py): given the context, the request's stored
arguments and the requester's person id, what the requester is sent when it is done."""
