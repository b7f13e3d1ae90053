"""Scheduled jobs: each opens its own transaction, takes `now` from the runtime's clock, and
is safe to run twice (it only acts on what is due)."""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.runtime import Runtime
from handlers import alerts, reminder_summary, reminder_tasks, reminders
from handlers.context import Context
from storage.db import session_scope

log = logging.getLogger(__name__)


def context_for(runtime: Runtime, session: AsyncSession) -> Context:
    config = runtime.settings.handler_config(tuple(runtime.senders))
    return Context(session=session, now=runtime.clock.now(), config=config)


async def escalate_alerts(runtime: Runtime) -> int:
    """Unacknowledged safety alerts past their deadline go one level up."""
    async with session_scope(runtime.sessions) as session:
        moved = await alerts.escalate_due(context_for(runtime, session))
    if moved:
        log.warning("escalated %d unacknowledged safety alert(s)", moved)
        runtime.outbox.wake()
    return moved


async def send_digests(runtime: Runtime, *, on_demand: bool = False) -> int:
    """Today's digests: at the digest time on digest days outside quiet hours (a missed one
    goes out at the next run that may send), or with `on_demand` at once; how many people
    got one. Each person's digest is recorded before it is queued, so this runs any number
    of times a day and sends once."""
    async with session_scope(runtime.sessions) as session:
        ctx = context_for(runtime, session)
        if on_demand:
            sent = await reminders.send_digests(ctx, as_of=ctx.now)
        else:
            sent = await reminders.run_digest(ctx)
    if sent:
        log.info("queued today's digest for %d person(s)", sent)
        runtime.outbox.wake()
    return sent


async def send_admin_summaries(runtime: Runtime) -> int:
    """The college admins' weekly summary of what is long overdue (once a week each)."""
    async with session_scope(runtime.sessions) as session:
        sent = await reminder_summary.run_admin_summaries(context_for(runtime, session))
    if sent:
        log.info("queued the weekly overdue summary for %d college admin(s)", sent)
        runtime.outbox.wake()
    return sent


async def run_semester_tasks(runtime: Runtime) -> int:
    """摸排, ledger deadline, 1+1+1 completeness and 一生一策 reminders (each once per period)."""
    async with session_scope(runtime.sessions) as session:
        sent = await reminder_tasks.run_semester_tasks(context_for(runtime, session))
    if sent:
        log.info("queued %d semester-task reminder(s)", sent)
        runtime.outbox.wake()
    return sent
