"""The inbound pipeline shared by every channel: dedupe, route, record replies, commit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.logs import message_id
from handlers import router
from handlers.context import Context, HandlerConfig
from handlers.envelopes import Inbound, Outbound
from storage.db import session_scope
from storage.inbound import first_delivery
from storage.outbox import enqueue


@dataclass(frozen=True, slots=True)
class Delivered:
    outbox_id: int
    message: Outbound


@dataclass(slots=True)
class Dispatcher:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    config: HandlerConfig

    async def dispatch(self, inbound: Inbound, *, delivered: bool) -> list[Delivered] | None:
        """Handle one inbound message once; None for a duplicate delivery.

        Replies become outbox rows in the same transaction as the handler's writes;
        `delivered` is for channels that hand the replies over in the response itself.
        """
        message_id.set(f"{inbound.channel}:{inbound.message_id}")
        now = self.clock.now()
        async with session_scope(self.sessions) as session:
            ctx = Context(session=session, now=now, config=self.config)
            who = await router.sender(inbound, ctx)
            if who is None:
                return [Delivered(0, reply) for reply in await router.answer_stranger(inbound, ctx)]
            fresh = await first_delivery(
                session, channel=inbound.channel, dedupe_key=inbound.message_id, at=now
            )
            if not fresh:
                return None
            replies = await router.answer(inbound, who, ctx)
            rows = [
                await enqueue(
                    session,
                    channel=inbound.channel,
                    person_id=who.person_id,
                    recipient=inbound.account,
                    payload=reply.to_payload(),
                    idempotency_key=f"reply:{inbound.channel}:{inbound.message_id}:{index}",
                    now=now,
                    delivered=delivered,
                )
                for index, reply in enumerate(replies)
            ]
        return [Delivered(row.id or 0, reply) for row, reply in zip(rows, replies, strict=True)]
