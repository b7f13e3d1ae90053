"""The inbound pipeline shared by every channel: identify, dedupe, route, record replies.

Replies become outbox rows in the same transaction as the handler's writes. A channel with a
passive-reply window (WeCom) may carry one reply in the HTTP response; `PassiveWindow` decides,
without races, whether that reply travels in the response or through the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.logs import message_id
from handlers import router
from handlers.context import Context, HandlerConfig
from handlers.envelopes import Inbound, Outbound
from storage import outbox
from storage.db import session_scope
from storage.inbound import first_delivery
from storage.models import OutboxMessage

PASSIVE = "passive"

log = logging.getLogger(__name__)


@dataclass(slots=True)
class PassiveWindow:
    """Whether one reply may ride in the HTTP response; claimed by the handler or closed by
    the route when the platform's deadline is near, whichever comes first."""

    fits: Callable[[Outbound], bool]
    state: str = "open"
    abandoned: bool = False

    def claim(self) -> bool:
        if self.state == "open":
            self.state = "claimed"
        return self.state == "claimed"

    def close(self) -> bool:
        """The route stops waiting; False when a reply was already claimed for the response."""
        if self.state == "open":
            self.state = "closed"
        return self.state == "closed"


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


def _reply_key(inbound: Inbound, index: int) -> str:
    return f"reply:{inbound.channel}:{inbound.message_id}:{index}"


@dataclass(slots=True)
class Dispatcher:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    config: HandlerConfig
    on_queued: Callable[[], None] = lambda: None

    async def dispatch(
        self, inbound: Inbound, *, window: PassiveWindow | None = None, delivered: bool = False
    ) -> Outcome:
        """Handle one inbound message once. `delivered`: the channel hands every reply over in
        its response (the simulator); `window`: at most one reply may (WeCom)."""
        message_id.set(f"{inbound.channel}:{inbound.message_id}")
        now = self.clock.now()
        try:
            return await self._dispatch(inbound, window, delivered, now, failed=False)
        except Exception:
            # The whole transaction is gone; answer with an apology in a fresh one, so the
            # person hears back and a retried delivery does not run the failing handler again.
            log.exception("handling failed; answering with an apology")
            return await self._dispatch(inbound, window, delivered, now, failed=True)

    async def _dispatch(
        self,
        inbound: Inbound,
        window: PassiveWindow | None,
        delivered: bool,
        now: datetime,
        *,
        failed: bool,
    ) -> Outcome:
        async with session_scope(self.sessions) as session:
            ctx = Context(session=session, now=now, config=self.config)
            who = await router.sender(inbound, ctx)
            if who is None:
                replies = await router.answer_stranger(inbound, ctx)
                return await self._stranger(session, inbound, replies, window, delivered, now)
            if not await first_delivery(
                session, channel=inbound.channel, dedupe_key=inbound.message_id, at=now
            ):
                return Outcome(duplicate=True, passive=await self._stored_passive(session, inbound))
            replies = router.apology() if failed else await router.answer(inbound, who, ctx)
            passive = _choose_passive(replies, window) if not delivered else None
            if passive is not None and window is not None and not window.claim():
                passive = None
            rows = []
            for index, reply in enumerate(replies):
                rows.append(
                    await outbox.enqueue(
                        session,
                        channel=inbound.channel,
                        person_id=who.person_id,
                        recipient=inbound.account,
                        payload=reply.to_payload(),
                        idempotency_key=_reply_key(inbound, index),
                        now=now,
                        delivered=delivered or reply is passive,
                        platform_msgid=PASSIVE if reply is passive else None,
                    )
                )
        return await self._after_commit(rows, replies, passive, window, delivered)

    async def _after_commit(
        self,
        rows: list[OutboxMessage],
        replies: list[Outbound],
        passive: Outbound | None,
        window: PassiveWindow | None,
        delivered: bool,
    ) -> Outcome:
        if passive is not None and window is not None and window.abandoned:
            async with session_scope(self.sessions) as session:  # the response left without it
                await outbox.requeue(session, rows[0].id or 0, now=self.clock.now())
            passive = None
        queued = not delivered and len(rows) > (1 if passive is not None else 0)
        if queued:
            self.on_queued()
        delivered_rows = [
            Delivered(row.id or 0, reply) for row, reply in zip(rows, replies, strict=True)
        ]
        return Outcome(replies=delivered_rows, passive=passive, queued=queued)

    async def _stranger(
        self,
        session: AsyncSession,
        inbound: Inbound,
        replies: list[Outbound],
        window: PassiveWindow | None,
        delivered: bool,
        now: datetime,
    ) -> Outcome:
        """Strangers get their polite reply in the response; only if it cannot ride there is
        it queued to the bare account (no person row is ever created)."""
        if not delivered and await outbox.by_key(session, _reply_key(inbound, 0)) is not None:
            return Outcome(duplicate=True)
        passive = _choose_passive(replies, window)
        if delivered or (passive is not None and window is not None and window.claim()):
            return Outcome(replies=[Delivered(0, r) for r in replies], passive=passive)
        for index, reply in enumerate(replies):
            await outbox.enqueue(
                session,
                channel=inbound.channel,
                person_id=None,
                recipient=inbound.account,
                payload=reply.to_payload(),
                idempotency_key=_reply_key(inbound, index),
                now=now,
            )
        self.on_queued()
        return Outcome(queued=True)

    async def _stored_passive(self, session: AsyncSession, inbound: Inbound) -> Outbound | None:
        """A retried delivery gets the same passive reply again, without running handlers."""
        row = await outbox.by_key(session, _reply_key(inbound, 0))
        if row is None or row.platform_msgid != PASSIVE:
            return None
        return Outbound.from_payload(outbox.payload_of(row))


def _choose_passive(replies: list[Outbound], window: PassiveWindow | None) -> Outbound | None:
    """Only a single reply goes passively, so replies never overtake each other."""
    if window is None or len(replies) != 1 or not window.fits(replies[0]):
        return None
    return replies[0]
