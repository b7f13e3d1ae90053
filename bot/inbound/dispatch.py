"""The inbound pipeline shared by every channel: identify, dedupe, route, record replies.

Replies become outbox rows in the same transaction as the handler's writes. A channel whose
HTTP response can carry a reply hands over a `PassiveWindow` (bot.channels.base), which decides
without races whether that reply travels in the response or through the outbox. How a
channel's accounts name people comes from its description, through `HandlerConfig`.
A known person's message first passes the rate limit (handlers/conversation/rate_limit.py);
`observe` hears every dispatch's channel, outcome and seconds (bot/metrics.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.base import IN_RESPONSE, PassiveWindow
from bot.clock import Clock
from bot.inbound.batch import LINGER_TURNS, Batcher
from bot.inbound.pending import Safekeeping
from bot.logs import message_id
from handlers.access.identity import Identity, identify_many
from handlers.context import Context, HandlerConfig
from handlers.conversation import rate_limit, router
from handlers.envelopes import Inbound, Outbound
from storage import work
from storage.db import session_scope
from storage.messaging import conversations, outbox
from storage.messaging.inbound import first_deliveries
from storage.messaging.inbound_rate import reply_key
from storage.people.identify import lookup_key

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Delivered:
    outbox_id: int
    message: Outbound


@dataclass(slots=True)
class Outcome:
    duplicate: bool = False
    replies: list[Delivered] = field(default_factory=list)
    passive: Outbound | None = None
    queued: bool = False
    rate_limited: bool = False
    """Over the person's rate limit: stored and audited; answered at most with the notice."""

    @property
    def label(self) -> str:
        """The outcome as the callback metric names it."""
        if self.duplicate:
            return "duplicate"
        return "rate_limited" if self.rate_limited else "handled"


def _reply_key(inbound: Inbound, index: int) -> str:
    return reply_key(inbound.channel, inbound.message_id, index)


@dataclass(slots=True)
class _Message:
    inbound: Inbound
    window: PassiveWindow | None
    delivered: bool
    now: datetime


@dataclass(slots=True)
class _Answered:
    """A known sender's first delivery, answered inside the batch's transaction."""

    message: _Message
    who: Identity
    replies: list[Outbound]
    passive: Outbound | None
    limited: bool = False


@dataclass(slots=True)
class Dispatcher:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    config: HandlerConfig
    on_queued: Callable[[], None] = lambda: None
    on_requested: Callable[[], None] = lambda: None
    """A message stored a work request (storage/work.py): the runner starts on it now."""
    workers: int = 1
    """Batches handled at once: 1 on SQLite (one writer anyway), a few on PostgreSQL."""
    observe: Callable[[str, str, float], None] = lambda channel, outcome, seconds: None
    """Told (channel, outcome label, seconds) after every dispatch; "failed" if it raised."""
    _batcher: Batcher[_Message, Outcome] = field(init=False)
    safekeeping: Safekeeping = field(init=False)

    def __post_init__(self) -> None:
        self._batcher = Batcher(self._handle_batch, workers=self.workers, linger=LINGER_TURNS)
        self.safekeeping = Safekeeping(self.sessions, self.clock)

    async def hold(self, inbound: Inbound, handling: asyncio.Future[Any]) -> None:
        """The platform is about to hear 200 without the answer: make the message durable
        first, unless its handling already committed (see bot.inbound.pending)."""
        await self.safekeeping.hold(inbound, handling)

    async def dispatch(
        self, inbound: Inbound, *, window: PassiveWindow | None = None, delivered: bool = False
    ) -> Outcome:
        """Handle one inbound message once. `delivered`: the channel hands every reply over in
        its response (the simulator); `window`: at most one reply may (WeCom)."""
        message_id.set(f"{inbound.channel}:{inbound.message_id}")
        message = _Message(inbound, window, delivered, self.clock.now())
        match = self.config.match_for(inbound.channel)
        key = (inbound.channel, lookup_key(inbound.account, match=match))
        started = time.perf_counter()
        try:
            outcome = await self._batcher.submit(message, key=key)
        except BaseException:
            self.observe(inbound.channel, "failed", time.perf_counter() - started)
            raise
        self.observe(inbound.channel, outcome.label, time.perf_counter() - started)
        return outcome

    async def _handle_batch(self, batch: list[_Message]) -> list[Outcome]:
        """All in one transaction; if anything fails, each message again on its own, where a
        failure is answered with an apology (a lone message goes straight to the apology)."""
        try:
            return await self._together(batch)
        except Exception:
            if len(batch) == 1:
                log.exception("handling failed; answering with an apology")
                return [await self._alone(batch[0], failed=True)]
            log.exception("a batch of %d failed; handling its messages one by one", len(batch))
        return [await self._alone(message, failed=False) for message in batch]

    async def _alone(self, message: _Message, *, failed: bool) -> Outcome:
        message_id.set(f"{message.inbound.channel}:{message.inbound.message_id}")
        try:
            return (await self._together([message], failed=failed))[0]
        except Exception:
            if failed:
                raise
            log.exception("handling failed; answering with an apology")
            return (await self._together([message], failed=True))[0]

    async def _together(self, batch: list[_Message], *, failed: bool = False) -> list[Outcome]:
        outcomes: list[Outcome | _Answered] = []
        answered: Counter[tuple[str, int]] = Counter()  # per sender: replies not inserted yet
        async with session_scope(self.sessions) as session:
            senders = await self._senders(session, batch)
            fresh = await self._first_deliveries(session, batch, senders)
            _reread_drafts_after_duplicates(batch, senders, fresh)
            for message in batch:
                message_id.set(f"{message.inbound.channel}:{message.inbound.message_id}")
                who = senders.get(id(message))
                if who is None:
                    first = id(message) in fresh
                    outcomes.append(await self._stranger(session, message, first=first))
                elif id(message) not in fresh:
                    passive = await self._stored_passive(session, message.inbound)
                    outcomes.append(Outcome(duplicate=True, passive=passive))
                else:
                    mine = (message.inbound.channel, who.person_id)
                    done = await self._answer(
                        session, message, who, failed=failed, earlier=answered[mine]
                    )
                    answered[mine] += 1 if done.replies else 0
                    outcomes.append(done)
            rows = await self._enqueue(session, [o for o in outcomes if isinstance(o, _Answered)])
        if outbox.queued_in(session):
            self.on_queued()  # replies, alerts, anything a handler queued: they leave now
        if work.requested_in(session):
            self.on_requested()
        return [
            await self._after_commit(rows[id(o)], o) if isinstance(o, _Answered) else o
            for o in outcomes
        ]

    async def _senders(self, session: AsyncSession, batch: list[_Message]) -> dict[int, Identity]:
        """Every sender of the batch, one query per channel; keyed by id() of the message."""
        found: dict[int, Identity] = {}
        for channel in {message.inbound.channel for message in batch}:
            mine = [message for message in batch if message.inbound.channel == channel]
            accounts = [message.inbound.account for message in mine]
            match = self.config.match_for(channel)
            since = rate_limit.counted_since(self.config, max(m.now for m in mine))
            known = await identify_many(
                session, channel=channel, accounts=accounts, match=match, answered_since=since
            )
            for message in mine:
                who = known.get(lookup_key(message.inbound.account, match=match))
                if who is not None:
                    found[id(message)] = who
        return found

    async def _first_deliveries(
        self, session: AsyncSession, batch: list[_Message], senders: dict[int, Identity]
    ) -> set[int]:
        """Record the deliveries (strangers' too: a retry must not audit twice); the
        messages not seen before."""
        fresh: set[int] = set()
        now = max(message.now for message in batch)
        for channel in {message.inbound.channel for message in batch}:
            mine = [m for m in batch if m.inbound.channel == channel]
            keys = [message.inbound.message_id for message in mine]
            new = await first_deliveries(session, channel=channel, dedupe_keys=keys, at=now)
            for message in mine:  # a key twice in one batch: the first one is the delivery
                if message.inbound.message_id in new:
                    new.discard(message.inbound.message_id)
                    fresh.add(id(message))
        return fresh

    async def _answer(
        self, session: AsyncSession, message: _Message, who: Identity, *, failed: bool, earlier: int
    ) -> _Answered:
        """`earlier`: the sender's messages answered earlier in this batch."""
        ctx = Context(session=session, now=message.now, config=self.config)
        verdict = await rate_limit.admit(message.inbound, who, ctx, earlier=earlier)
        if verdict is not rate_limit.Verdict.ALLOW:
            return self._limited(message, who, verdict, ctx)
        if conversations.changed(session, person_id=who.person_id, channel=message.inbound.channel):
            who = replace(who, conversing=True, draft=None)  # an earlier message wrote it
        replies = router.apology() if failed else await router.answer(message.inbound, who, ctx)
        return self._answered(message, who, replies)

    def _limited(
        self, message: _Message, who: Identity, verdict: rate_limit.Verdict, ctx: Context
    ) -> _Answered:
        notice = rate_limit.notice(ctx) if verdict is rate_limit.Verdict.NOTIFY_ONCE else []
        return replace(self._answered(message, who, notice), limited=True)

    def _answered(self, message: _Message, who: Identity, replies: list[Outbound]) -> _Answered:
        window = message.window
        passive = _choose_passive(replies, window) if not message.delivered else None
        if passive is not None and window is not None and not window.claim():
            passive = None
        return _Answered(message, who, replies, passive)

    async def _enqueue(
        self, session: AsyncSession, answered: list[_Answered]
    ) -> dict[int, list[int]]:
        """Every reply of the batch in one insert; row ids keyed by id() of the answer."""
        values = [
            outbox.row_values(
                channel=a.message.inbound.channel,
                person_id=a.who.person_id,
                recipient=a.message.inbound.account,
                payload=reply.to_payload(),
                idempotency_key=_reply_key(a.message.inbound, index),
                now=a.message.now,
                delivered=a.message.delivered or reply is a.passive,
                platform_msgid=IN_RESPONSE if reply is a.passive else None,
            )
            for a in answered
            for index, reply in enumerate(a.replies)
        ]
        rows = iter(await outbox.enqueue_many(session, values))
        return {id(a): [next(rows) for _ in a.replies] for a in answered}

    async def _after_commit(self, rows: list[int], answered: _Answered) -> Outcome:
        passive, window = answered.passive, answered.message.window
        if passive is not None and window is not None and window.abandoned:
            async with session_scope(self.sessions) as session:  # the response left without it
                await outbox.requeue(session, rows[0], now=self.clock.now())
            self.on_queued()
            passive = None
        delivered = answered.message.delivered
        queued = not delivered and len(rows) > (1 if passive is not None else 0)
        delivered_rows = [
            Delivered(row, reply) for row, reply in zip(rows, answered.replies, strict=True)
        ]
        limited = answered.limited
        return Outcome(replies=delivered_rows, passive=passive, queued=queued, rate_limited=limited)

    async def _stranger(self, session: AsyncSession, message: _Message, *, first: bool) -> Outcome:
        """Strangers get their polite reply in the response; only if it cannot ride there is
        it queued to the bare account (no person row is ever created). A retried delivery
        is told the same again, unrecorded, or nothing if the reply was queued."""
        inbound, window, delivered = message.inbound, message.window, message.delivered
        if not first and await outbox.by_key(session, _reply_key(inbound, 0)) is not None:
            return Outcome(duplicate=True)
        ctx = Context(session=session, now=message.now, config=self.config)
        replies = await router.answer_stranger(inbound, ctx, record=first)
        passive = _choose_passive(replies, window)
        if delivered or (passive is not None and window is not None and window.claim()):
            replied = [Delivered(0, r) for r in replies]
            return Outcome(duplicate=not first, replies=replied, passive=passive)
        for index, reply in enumerate(replies):
            await outbox.enqueue(
                session,
                channel=inbound.channel,
                person_id=None,
                recipient=inbound.account,
                payload=reply.to_payload(),
                idempotency_key=_reply_key(inbound, index),
                now=message.now,
            )
        return Outcome(queued=True)

    async def _stored_passive(self, session: AsyncSession, inbound: Inbound) -> Outbound | None:
        """A retried delivery gets the same passive reply again, without running handlers."""
        row = await outbox.by_key(session, _reply_key(inbound, 0))
        if row is None or row.platform_msgid != IN_RESPONSE:
            return None
        return Outbound.from_payload(outbox.payload_of(row))


def _reread_drafts_after_duplicates(
    batch: list[_Message], senders: dict[int, Identity], fresh: set[int]
) -> None:
    """A sender's open form was read before the dedupe insert, which may have waited for
    another replica's transaction handling one of these duplicates: their later messages
    must see the form as that transaction left it, so it is read again (a duplicate is rare)."""
    stale = {senders[id(m)].person_id for m in batch if id(m) in senders and id(m) not in fresh}
    for key, who in senders.items():
        if who.person_id in stale:
            senders[key] = replace(who, conversing=True, draft=None)


def _choose_passive(replies: list[Outbound], window: PassiveWindow | None) -> Outbound | None:
    return None if window is None else window.choose(replies)
