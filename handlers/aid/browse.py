"""`资助` lists the open aid items a student may see (`资助 N` shows one); staff see every
open item. And the reminder, a few days before a deadline, to the posting's audience."""

from __future__ import annotations

from datetime import date, timedelta

from handlers.access.identity import Identity
from handlers.aid.timing import may_notify
from handlers.context import Context
from handlers.conversation.answers import number_of
from handlers.delivery import send_to_people
from handlers.envelopes import Inbound, Outbound, text
from handlers.reminders.rules import graduating_year, policy_of
from messages.render import render
from storage.aid import postings
from storage.models import AidPosting, PersonKind
from storage.outreach.audience import Filters, Scope, resolve

TOPIC = "资助"
REMIND_DAYS_BEFORE = 3
LISTED = 20
"""Items listed by `资助`; the rest are counted."""


async def list_aid(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """`资助` alone lists; `资助 N` shows one."""
    if args.strip():
        return await show_aid(who, ctx, args.strip())
    today = _today(ctx)
    if who.person.kind == PersonKind.STUDENT:
        found = await postings.open_for_student(
            ctx.session, student_id=who.person_id, college=who.person.college, today=today
        )
    else:
        found = await postings.open_postings(ctx.session, today=today)
    shown = found[:LISTED]
    return [text(render("aid_list", postings=shown, more=len(found) - len(shown)))]


async def show_aid(who: Identity, ctx: Context, number: str) -> list[Outbound]:
    posting = await _visible(who, ctx, number)
    if posting is None:
        return [text(render("aid_no_such_posting", number=number))]
    closed = not postings.is_open(posting, _today(ctx))
    return [text(render("aid_posting", posting=posting, closed=closed))]


async def _visible(who: Identity, ctx: Context, number: str) -> AidPosting | None:
    posting_id = number_of(number)
    if posting_id is None:
        return None
    if who.person.kind != PersonKind.STUDENT:
        return await postings.get_posting(ctx.session, posting_id)
    return await postings.visible_to_student(
        ctx.session, posting_id=posting_id, student_id=who.person_id, college=who.person.college
    )


def reminder_days(today: date) -> list[date]:
    """The deadlines whose reminder is due today: up to REMIND_DAYS_BEFORE days ahead (a
    missed day catches up; the outbox key keeps it to one reminder per posting)."""
    return [today + timedelta(days=n) for n in range(1, REMIND_DAYS_BEFORE + 1)]


async def remind_deadlines(ctx: Context) -> int:
    """The scheduled job's step: each posting closing within REMIND_DAYS_BEFORE days, once,
    1:1 to its audience minus those who turned 资助 off; how many messages were queued."""
    if not may_notify(ctx.now, policy_of(ctx), tz=ctx.config.tz):
        return 0
    queued = 0
    for deadline in reminder_days(_today(ctx)):
        for posting in await postings.closing_on(ctx.session, deadline):
            audience = await audience_of(ctx, posting)
            days_left = (posting.deadline - _today(ctx)).days
            message = text(render("aid_deadline_reminder", posting=posting, days=days_left))
            key = f"aid:posting:{posting.id}:remind"
            queued += await send_to_people(ctx, person_ids=audience, message=message, key=key)
    return queued


def scope_of(posting: AidPosting) -> Scope:
    """The reach the posting was published for."""
    if posting.scope_teacher_id is not None:
        return Scope(student_affairs_of=posting.scope_teacher_id)
    if posting.scope_college is not None:
        return Scope(college=posting.scope_college)
    return Scope(everyone=True)


async def audience_of(ctx: Context, posting: AidPosting) -> list[int]:
    """The students in the posting's reach who are reachable and have not turned 资助 off."""
    channels = {channel: ctx.config.match_for(channel) for channel in ctx.config.channels}
    audience = await resolve(
        ctx.session,
        Filters(role="student"),
        within=scope_of(posting),
        topic=TOPIC,
        channels=channels,
        now=ctx.now,
        class_year=graduating_year(ctx),
    )
    return audience.recipients


def _today(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.config.tz).date()
