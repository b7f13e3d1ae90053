"""Pushing a posting (推送): 1:1 to the graduating special students whose major it names,
minus those who turned 岗位 off. The message never says why a student received it."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.context import Context
from handlers.conversation.answers import number_of
from handlers.delivery import send_to_people
from handlers.envelopes import Button, Inbound, Outbound, text
from handlers.reminders.rules import graduating_year
from messages.render import render
from storage import audit
from storage.careers import postings
from storage.due.reminder_log import special_students
from storage.models import JobPosting
from storage.outreach.audience import Filters, resolve

TOPIC = "岗位"
APPLY_BUTTON = "jobs:apply:"


@dataclass(frozen=True)
class Pushed:
    queued: int
    unsubscribed: int
    no_account: int


async def push_command(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """`推送岗位 N` or the published card's button."""
    posting_id = number_of(args.strip())
    posting = await postings.get_posting(ctx.session, posting_id) if posting_id else None
    if posting is None and access.may_publish_jobs(who.roles):
        return [text(render("careers_no_such_posting", number=args.strip()))]
    published_it = posting is not None and posting.publisher_id == who.person_id
    if posting is None or not access.may_push_job(who.roles, published_it=published_it):
        await audit.record(
            ctx.session,
            action="denied_push_job",
            at=ctx.now,
            actor_id=who.person_id,
            detail=f"posting {posting_id}",
        )
        return [text(render("careers_not_allowed"))]
    today = ctx.now.astimezone(ctx.config.tz).date()
    if not postings.is_open(posting, today):
        return [text(render("careers_push_closed", posting=posting))]
    again = posting.pushed_at is not None
    pushed = await push(ctx, who, posting)
    return [text(render("careers_pushed", posting=posting, pushed=pushed, again=again))]


async def push(ctx: Context, who: Identity, posting: JobPosting) -> Pushed:
    """Queue the posting for its audience (idempotent: a second push adds only newcomers)."""
    assert posting.id is not None
    audience_ids, left_out = await _audience(ctx, who, posting)
    queued = await send_to_people(
        ctx, person_ids=audience_ids, message=posting_message(posting), key=f"job:{posting.id}"
    )
    await postings.mark_pushed(ctx.session, posting, now=ctx.now)
    await audit.record(
        ctx.session,
        action="job_pushed",
        at=ctx.now,
        actor_id=who.person_id,
        detail=f"posting {posting.id}: {queued} queued",
    )
    reasons = [reason for _, reason in left_out]
    return Pushed(queued, reasons.count("unsubscribed"), reasons.count("no_account"))


async def _audience(
    ctx: Context, who: Identity, posting: JobPosting
) -> tuple[list[int], list[tuple[int, str]]]:
    """The graduating special students the posting's majors name, inside the pusher's reach."""
    year = graduating_year(ctx)
    filters = Filters(majors=postings.majors_of(posting), graduating_years=(year,))
    scope = access.job_push_scope(who.roles, college=who.person.college)
    channels = {channel: ctx.config.match_for(channel) for channel in ctx.config.channels}
    audience = await resolve(
        ctx.session,
        filters,
        within=scope,
        topic=TOPIC,
        channels=channels,
        now=ctx.now,
        class_year=year,
    )
    special = {card.id for card in await special_students(ctx.session)}
    recipients = [pid for pid in audience.recipients if pid in special]
    left_out = [(pid, why) for pid, why in audience.left_out if pid in special]
    return recipients, left_out


def posting_message(posting: JobPosting) -> Outbound:
    """A posting as a student receives it: the details and a 报名 button."""
    return Outbound(
        kind="card",
        title=render("careers_posting_title"),
        text=render(
            "careers_posting",
            posting=posting,
            majors=postings.majors_of(posting),
            applied=False,
            closed=False,
        ),
        buttons=(Button(f"{APPLY_BUTTON}{posting.id}", render("careers_apply_button")),),
    )
