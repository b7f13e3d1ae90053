"""The clock process: one leader (advisory lock) runs the scheduled jobs and the outbox
sweeper; a second clock stands by until the leader goes away."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import Clock
from bot.runtime import Runtime, open_runtime
from bot.schedule import jobs
from bot.settings import Settings
from storage.leader import leadership

log = logging.getLogger(__name__)

LOCK_NAME = "carebot-clock"
DIGEST_POLL_MINUTES = 5
READ_POLL_MINUTES = 15


def build_scheduler(runtime: Runtime) -> AsyncIOScheduler:
    """Jobs are rebuilt from code and the database at every start; nothing is pickled."""
    scheduler = AsyncIOScheduler(timezone=runtime.settings.tz)
    scheduler.add_job(
        jobs.escalate_alerts,
        IntervalTrigger(minutes=1),
        args=[runtime],
        id="escalate_alerts",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=300,
    )
    broadcast_jobs = (
        jobs.send_scheduled_broadcasts,
        jobs.recall_broadcasts,
        jobs.report_broadcasts,
    )
    for job in broadcast_jobs:
        scheduler.add_job(
            job,
            IntervalTrigger(minutes=1),
            args=[runtime],
            id=job.__name__,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=300,
        )
    scheduler.add_job(  # each run asks the platform once per unread message: not too often
        jobs.read_receipts,
        IntervalTrigger(minutes=READ_POLL_MINUTES),
        args=[runtime],
        id="read_receipts",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=READ_POLL_MINUTES * 60,
    )
    # Every few minutes: each job itself decides whether the digest time has come (so a
    # digest missed while the clock was down goes out at its next run) and sends once a period.
    for job in (
        jobs.send_digests,
        jobs.send_admin_summaries,
        jobs.run_semester_tasks,
        jobs.announce_psych_events,
        jobs.remind_aid_deadlines,
    ):
        scheduler.add_job(
            job,
            IntervalTrigger(minutes=DIGEST_POLL_MINUTES),
            args=[runtime],
            id=job.__name__,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=DIGEST_POLL_MINUTES * 60,
        )
    return scheduler


async def run_clock(
    settings: Settings, *, clock: Clock, standby_poll: float = 5.0, sweep_poll: float = 2.0
) -> None:
    """Run forever: wait for leadership, then run jobs and sweep the outbox until cancelled."""
    async with open_runtime(settings, clock=clock) as runtime:
        while True:
            async with leadership(runtime.engine, LOCK_NAME) as leader:
                if leader:
                    await _lead(runtime, sweep_poll)
            log.info("another clock is the leader; standing by")
            await asyncio.sleep(standby_poll)


async def _lead(runtime: Runtime, sweep_poll: float) -> None:
    log.info("clock is the leader; running jobs and sweeping the outbox")
    scheduler = build_scheduler(runtime)
    scheduler.start()
    try:
        async with runtime.outbox.running(poll=sweep_poll):
            await asyncio.Event().wait()
    finally:
        scheduler.shutdown(wait=False)


@asynccontextmanager
async def jobs_in_process(runtime: Runtime) -> AsyncIterator[bool]:
    """Run the scheduled jobs inside another process (`make run`'s single process) while the
    context is open — unless a clock process already leads, in which case do nothing."""
    async with leadership(runtime.engine, LOCK_NAME) as leader:
        if not leader:
            log.info("a clock process is running; this process runs no scheduled jobs")
            yield False
            return
        scheduler = build_scheduler(runtime)
        scheduler.start()
        try:
            yield True
        finally:
            scheduler.shutdown(wait=False)
