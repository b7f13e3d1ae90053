"""Scheduled jobs: each opens its own transaction, takes `now` from the runtime's clock, and
is safe to run twice (it only acts on what is due)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.runtime import Runtime
from handlers.context import Context
from handlers.reminders import commands as reminders
from handlers.reminders import summary as reminder_summary
from handlers.reminders import tasks as reminder_tasks
from handlers.safety import alerts
from storage.db import session_scope

log = logging.getLogger(__name__)

Work = Callable[[Context], Awaitable[int]]


def context_for(runtime: Runtime, session: AsyncSession) -> Context:
    """A job's context reads on the runtime's reader: a job's transaction is fresh, so the
    reader's committed data is all there is to see, and long reads leave the loop free."""
    config = runtime.settings.handler_config(tuple(runtime.senders))
    now = runtime.clock.now()
    return Context(session=session, now=now, config=config, reader=runtime.reader)


async def _run(runtime: Runtime, work: Work, done: str, *, level: int = logging.INFO) -> int:
    """One transaction for the work; if it queued anything, say so and wake the sender."""
    async with session_scope(runtime.sessions) as session:
        count = await work(context_for(runtime, session))
    if count:
        log.log(level, done, count)
        runtime.outbox.wake()
    return count


async def escalate_alerts(runtime: Runtime) -> int:
    """Unacknowledged safety alerts past their deadline go one level up."""
    done = "escalated %d unacknowledged safety alert(s)"
    return await _run(runtime, alerts.escalate_due, done, level=logging.WARNING)


async def send_digests(runtime: Runtime, *, on_demand: bool = False) -> int:
    """Today's digests: at the digest time on digest days outside quiet hours (a missed one
    goes out at the next run that may send), or with `on_demand` at once; how many people
    got one. Each person's digest is recorded before it is queued, so this runs any number
    of times a day and sends once."""

    async def work(ctx: Context) -> int:
        if on_demand:
            return await reminders.send_digests(ctx, as_of=ctx.now)
        return await reminders.run_digest(ctx)

    return await _run(runtime, work, "queued today's digest for %d person(s)")


async def send_admin_summaries(runtime: Runtime) -> int:
    """The college admins' weekly summary of what is long overdue (once a week each)."""
    done = "queued the weekly overdue summary for %d college admin(s)"
    return await _run(runtime, reminder_summary.run_admin_summaries, done)


async def run_semester_tasks(runtime: Runtime) -> int:
    """摸排, ledger deadline, 1+1+1 completeness and 一生一策 reminders (each once per period)."""
    done = "queued %d semester-task reminder(s)"
    return await _run(runtime, reminder_tasks.run_semester_tasks, done)
