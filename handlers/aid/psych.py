"""`心理`: the 24-hour hotline, how to book counselling and the next psychological-health
events; and the scheduled announcement of each event to students a week ahead."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from handlers.access.identity import Identity
from handlers.aid.timing import may_notify
from handlers.context import Context
from handlers.delivery import send_to_people
from handlers.envelopes import Inbound, Outbound, text
from handlers.policy.model import Policy, Psych, PsychEvent
from handlers.reminders.rules import graduating_year, policy_of
from messages.render import render
from storage.outreach.audience import Filters, Scope, resolve

TOPIC = "心理"
SHOWN = 3
"""Events listed by `心理`."""


async def psych_info(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    psych = policy_of(ctx).psych
    events = [_event(day, event) for day, event in psych.upcoming(_today(ctx))[:SHOWN]]
    body = render("aid_psych", hotline=ctx.config.hotline, booking=psych.booking, events=events)
    return [text(body)]


def announcement_due(
    now: datetime, policy: Policy, *, tz: ZoneInfo
) -> list[tuple[date, PsychEvent]]:
    """The events to announce at `now`: those `announce_days_before` days ahead or nearer
    (a run missed while the clock was down catches up), at a time students may be told.
    Pure: the caller makes it idempotent."""
    if not may_notify(now, policy, tz=tz):
        return []
    return _within_notice(now.astimezone(tz).date(), policy.psych)


def _within_notice(today: date, psych: Psych) -> list[tuple[date, PsychEvent]]:
    return [
        (day, event)
        for day, event in psych.upcoming(today)
        if 0 < (day - today).days <= psych.announce_days_before
    ]


async def announce_events(ctx: Context) -> int:
    """The scheduled job's step: each due event to every reachable student who has not turned
    心理 off, once per event and year (the outbox key); how many messages were queued."""
    queued = 0
    for day, event in announcement_due(ctx.now, policy_of(ctx), tz=ctx.config.tz):
        students = await _students(ctx)
        shown = _event(day, event)
        message = text(render("aid_psych_event", event=shown, hotline=ctx.config.hotline))
        key = f"psych:{day.isoformat()}"
        queued += await send_to_people(ctx, person_ids=students, message=message, key=key)
    return queued


async def _students(ctx: Context) -> list[int]:
    channels = {channel: ctx.config.match_for(channel) for channel in ctx.config.channels}
    audience = await resolve(
        ctx.session,
        Filters(),
        within=Scope(everyone=True),
        topic=TOPIC,
        channels=channels,
        now=ctx.now,
        class_year=graduating_year(ctx),
    )
    return audience.recipients


def _event(day: date, event: PsychEvent) -> dict[str, object]:
    return {"day": day, "name": event.name, "month": event.month, "date": event.day}


def _today(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.config.tz).date()
