"""The woken loop of the outbox sender and the work runner (bot.background.woken) stops when
its context closes, even when a wake-up and the cancellation arrive in the same loop turn
(asyncio.wait_for on 3.11 swallowed such a cancellation)."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.background import woken
from bot.outbox.sender import OutboxSender
from tests.fakes.clock import FakeClock


async def test_a_wake_up_arriving_with_the_cancellation_does_not_keep_the_loop_alive(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    sender = OutboxSender(sessions=sessions, clock=clock, senders={})
    for _ in range(20):
        loop = asyncio.create_task(woken(sender._wake, 3600, sender.drain, "outbox sweep"))
        for _ in range(3):
            await asyncio.sleep(0)  # the loop is waiting for a wake-up
        sender.wake()  # the waiter is woken in the very turn it is cancelled
        loop.cancel()
        await asyncio.wait({loop}, timeout=2)

        assert loop.cancelled()
