"""The clock process: one leader (advisory lock) runs the outbox sweeper and scheduled jobs;
a second clock stands by until the leader goes away."""

from __future__ import annotations

import asyncio
import logging

from bot.clock import Clock
from bot.runtime import open_runtime
from bot.settings import Settings
from storage.leader import leadership

log = logging.getLogger(__name__)

LOCK_NAME = "carebot-clock"


async def run_clock(
    settings: Settings, *, clock: Clock, standby_poll: float = 5.0, sweep_poll: float = 2.0
) -> None:
    """Run forever: wait for leadership, then sweep the outbox until cancelled."""
    async with open_runtime(settings, clock=clock) as runtime:
        while True:
            async with leadership(runtime.engine, LOCK_NAME) as leader:
                if leader:
                    log.info("clock is the leader; sweeping the outbox")
                    async with runtime.outbox.running(poll=sweep_poll):
                        await asyncio.Event().wait()
            log.info("another clock is the leader; standing by")
            await asyncio.sleep(standby_poll)
