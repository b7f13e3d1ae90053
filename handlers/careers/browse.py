"""Students and staff browse postings: `岗位` (open ones, the student's major first), `岗位 N`,
`报名 N` (recorded once; the publisher is told), `我的报名`."""

from __future__ import annotations

from datetime import date

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.careers.push import APPLY_BUTTON
from handlers.context import Context
from handlers.conversation.answers import number_of
from handlers.delivery import send_to_people
from handlers.envelopes import Button, Inbound, Outbound, text
from messages.render import render
from storage.careers import postings
from storage.models import JobPosting, Role
from storage.people.roles import people_with_role

LISTED = 20
"""Postings listed by `岗位`; the rest are counted."""


async def list_jobs(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """`岗位` alone lists; `岗位 N` shows one."""
    if args.strip():
        return await show_job(who, ctx, args.strip())
    major = who.person.major
    found = await postings.open_postings(ctx.session, today=_today(ctx), major=major)
    rows = [
        {"posting": posting, "mine": postings.names_major(posting, major)}
        for posting in found[:LISTED]
    ]
    return [text(render("careers_list", rows=rows, more=len(found) - len(rows)))]


async def show_job(who: Identity, ctx: Context, number: str) -> list[Outbound]:
    posting = await _posting(ctx, number)
    if posting is None:
        return [text(render("careers_no_such_posting", number=number))]
    assert posting.id is not None
    closed = not postings.is_open(posting, _today(ctx))
    applied = await _has_applied(ctx, who, posting.id)
    body = render(
        "careers_posting",
        posting=posting,
        majors=postings.majors_of(posting),
        applied=applied,
        closed=closed,
    )
    may_apply = access.may_apply_for_job(who.person.kind) and not (closed or applied)
    if not may_apply:
        return [text(body)]
    button = Button(f"{APPLY_BUTTON}{posting.id}", render("careers_apply_button"))
    title = render("careers_posting_title")
    return [Outbound(kind="card", title=title, text=body, buttons=(button,))]


async def apply(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """`报名 N` or the posting's 报名 button."""
    number = args.strip()
    if not access.may_apply_for_job(who.person.kind):
        return [text(render("careers_students_only"))]
    posting = await _posting(ctx, number)
    if posting is None:
        return [text(render("careers_no_such_posting", number=number))]
    assert posting.id is not None
    if not postings.is_open(posting, _today(ctx)):
        return [text(render("careers_apply_closed", posting=posting))]
    recorded = await postings.record_application(
        ctx.session, posting_id=posting.id, student_id=who.person_id, now=ctx.now
    )
    if recorded:
        await _tell_publisher(ctx, who, posting)
    return [text(render("careers_applied", posting=posting, again=not recorded))]


async def my_applications(
    inbound: Inbound, who: Identity, ctx: Context, args: str
) -> list[Outbound]:
    applied = await postings.applications_of(ctx.session, who.person_id)
    today = _today(ctx)
    rows = [
        {"posting": item.posting, "open": postings.is_open(item.posting, today)} for item in applied
    ]
    return [text(render("careers_my_applications", rows=rows))]


async def _tell_publisher(ctx: Context, who: Identity, posting: JobPosting) -> None:
    """1:1 to the publisher (an imported posting: the employment officers): the student's
    name and class, nothing else about them."""
    if posting.publisher_id is not None:
        officers = [posting.publisher_id]
    else:
        officers = await people_with_role(ctx.session, Role.CAREER_GUIDANCE)
    student = who.person
    notice = render(
        "careers_applied_notice", posting=posting, name=student.name, class_name=student.class_name
    )
    await send_to_people(
        ctx,
        person_ids=officers,
        message=text(notice),
        key=f"job:{posting.id}:apply:{who.person_id}",
    )


async def _posting(ctx: Context, number: str) -> JobPosting | None:
    posting_id = number_of(number)
    return await postings.get_posting(ctx.session, posting_id) if posting_id else None


async def _has_applied(ctx: Context, who: Identity, posting_id: int) -> bool:
    applied = await postings.applications_of(ctx.session, who.person_id)
    return any(item.posting.id == posting_id for item in applied)


def _today(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.config.tz).date()
