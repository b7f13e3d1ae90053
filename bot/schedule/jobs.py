"""Scheduled jobs: each opens its own transaction, takes `now` from the runtime's clock, and
is safe to run twice (it only acts on what is due)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.runtime import Runtime
from handlers.aid import browse as aid_browse
from handlers.aid import psych
from handlers.context import Context
from handlers.outreach import reports as broadcast_reports
from handlers.outreach import sending as broadcast_sending
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
    rounds = partial(session_scope, runtime.sessions)
    return Context(session, now, config, reader=runtime.reader, rounds=rounds)


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


async def send_scheduled_broadcasts(runtime: Runtime) -> int:
    """Broadcasts whose 定时 (or the end of quiet hours) has come: stored rows, so a restart
    loses none, and each is claimed once."""
    done = "queued %d message(s) of scheduled broadcasts"
    return await _run(runtime, broadcast_sending.run_due, done)


async def announce_psych_events(runtime: Runtime) -> int:
    """The psychological-health events (policy [psych]), to students a week ahead, once each
    (the outbox key), outside quiet hours; 心理 unsubscribers are left out."""
    done = "queued %d psychological-health event announcement(s)"
    return await _run(runtime, psych.announce_events, done)


async def remind_aid_deadlines(runtime: Runtime) -> int:
    """Aid postings closing in three days, to their audience once each (the outbox key);
    资助 unsubscribers are left out."""
    done = "queued %d aid deadline reminder(s)"
    return await _run(runtime, aid_browse.remind_deadlines, done)


async def recall_broadcasts(runtime: Runtime) -> int:
    """撤回: take back the sent messages of recalled broadcasts on the platforms that can
    (a sender with `recall`); how many platform messages were recalled."""
    from bot.channels.base import PlatformError, Recaller
    from storage.outreach import broadcasts

    recalled = 0
    async with session_scope(runtime.sessions) as session:
        for broadcast in await broadcasts.pending_recalls(session):
            for channel, msgid in await broadcasts.sent_messages(session, broadcast.id or 0):
                sender = runtime.senders.get(channel)
                if not isinstance(sender, Recaller):
                    continue
                try:
                    await sender.recall(msgid)
                    recalled += 1
                except PlatformError as exc:  # too late, or already gone: nothing to retry
                    log.warning("recall of a broadcast message refused: errcode %s", exc.code)
            broadcast.recall_pending = False
            session.add(broadcast)
    if recalled:
        log.info("recalled %d broadcast message(s)", recalled)
    return recalled


async def report_broadcasts(runtime: Runtime) -> int:
    """A broadcast's sender hears when it has all gone out, and again after 24 hours."""
    done = "queued %d broadcast report(s)"
    return await _run(runtime, broadcast_reports.run_reports, done)


async def read_receipts(runtime: Runtime) -> int:
    """已读 from the platforms that report reading (a sender with `read_by`: DingTalk robot
    readStatus), for broadcasts of the last week; how many deliveries were marked read."""
    from datetime import timedelta

    from bot.channels.base import ChannelError, ReadReporter
    from storage.outreach import receipts

    marked = 0
    async with session_scope(runtime.sessions) as session:
        now = runtime.clock.now()
        for broadcast_id, channel, msgid in await receipts.unread(
            session, since=now - timedelta(days=7)
        ):
            sender = runtime.senders.get(channel)
            if not isinstance(sender, ReadReporter):
                continue
            try:
                readers = await sender.read_by(msgid)
            except ChannelError as exc:  # the next run asks again
                log.warning("read status unavailable on %s: %s", channel, type(exc).__name__)
                continue
            if readers:
                marked += await receipts.mark_read(
                    session, broadcast_id=broadcast_id, msgid=msgid, recipients=sorted(readers),
                    now=now,
                )  # fmt: skip
    return marked
