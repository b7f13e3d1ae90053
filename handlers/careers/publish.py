"""`发布岗位`: the job-posting form (title, employer, place, salary, majors, deadline, how to
apply, link), for employment officers and admins; after it, the publisher may push it."""

from __future__ import annotations

from typing import Any

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.context import Context
from handlers.conversation import forms
from handlers.conversation.forms import Choice, Run, Step
from handlers.envelopes import Button, Inbound, Outbound, text
from messages.render import render
from storage import audit
from storage.careers import postings
from storage.careers.dates import parse_deadline
from storage.models import JobPosting

CHANNEL = "_channel"
"""A draft value that is no step: the channel the form runs on, to reopen it there."""
PUSH_BUTTON = "jobs:push:"


async def start(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    if not access.may_publish_jobs(who.roles):
        await audit.record(
            ctx.session, action="denied_publish_job", at=ctx.now, actor_id=who.person_id
        )
        return [text(render("careers_not_allowed"))]
    prefill = {CHANNEL: (inbound.channel, "")}
    return await forms.start(ctx, who, channel=inbound.channel, form=FORM, prefill=prefill)


async def _no_choices(run: Run, step: Step) -> list[Choice]:
    return []


async def complete(run: Run) -> list[Outbound]:
    """Store the posting, or ask for the deadline again when it names no day ahead. Access
    is asked again: the draft may be confirmed long after it was begun."""
    ctx, who, values = run.ctx, run.who, run.state.values
    if not access.may_publish_jobs(who.roles):
        return [text(render("careers_not_allowed"))]
    today = ctx.now.astimezone(ctx.config.tz).date()
    deadline = parse_deadline(values["deadline"], today=today)
    if deadline is None or deadline < today:
        hint = render("careers_bad_deadline", given=values["deadline"], passed=deadline is not None)
        return await _ask_again(run, "deadline", hint)
    link = values.get("link")
    if link and not postings.is_web_link(str(link)):
        return await _ask_again(run, "link", render("careers_bad_link", given=link))
    posting = await postings.add_posting(ctx.session, _posting(values, who, deadline, ctx))
    await audit.record(
        ctx.session,
        action="job_published",
        at=ctx.now,
        actor_id=who.person_id,
        detail=f"posting {posting.id}",
    )
    return [published_card(posting)]


def _posting(values: dict[str, Any], who: Identity, deadline: Any, ctx: Context) -> JobPosting:
    majors = postings.MAJOR_SEPARATOR.join(postings.split_majors(values.get("majors")))
    return JobPosting(
        publisher_id=who.person_id,
        title=values["title"],
        employer=values["employer"],
        place=values["place"],
        salary=values.get("salary"),
        majors=majors,
        deadline=deadline,
        how_to_apply=values["how"],
        link=values.get("link"),
        created_at=ctx.now,
    )


async def _ask_again(run: Run, step: str, hint: str) -> list[Outbound]:
    """The draft (dropped on 确认) opens again with every answer kept but `step`'s."""
    values, labels = run.state.values, run.state.labels
    kept = {name: (value, labels.get(name, "")) for name, value in values.items() if name != step}
    channel = str(values[CHANNEL])
    reopened = await forms.start(run.ctx, run.who, channel=channel, form=FORM, prefill=kept)
    return [text(hint), *reopened]


def published_card(posting: JobPosting) -> Outbound:
    """What the publisher hears: the posting as stored, and the button that pushes it."""
    return Outbound(
        kind="card",
        title=render("careers_published_title"),
        text=render("careers_published", posting=posting, majors=postings.majors_of(posting)),
        buttons=(Button(f"{PUSH_BUTTON}{posting.id}", render("careers_push_button")),),
    )


def _text_step(name: str, label: str, low: int, high: int, *, optional: bool = False) -> Step:
    return Step(name, "text", f"careers_ask_{name}", label, optional, low, high)


FORM = forms.Form(
    name="job_posting",
    title="careers_post_title",
    steps=(
        _text_step("title", "岗位名称", 2, 60),
        _text_step("employer", "招聘单位", 2, 60),
        _text_step("place", "工作地点", 1, 40),
        _text_step("salary", "薪资待遇", 1, 40, optional=True),
        _text_step("majors", "面向专业", 1, 100, optional=True),
        _text_step("deadline", "截止日期", 3, 20),
        _text_step("how", "报名方式", 2, 200),
        _text_step("link", "链接", 4, 200, optional=True),
    ),
    choices=_no_choices,
    complete=complete,
)
