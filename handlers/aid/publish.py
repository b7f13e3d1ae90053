"""`发布资助`: the aid-posting form (name, kind, who may apply, deadline, how to apply) for
admins, counsellors and class teachers; the posting is for the students in the publisher's
reach, who see it with `资助` and are reminded before its deadline."""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.aid.browse import REMIND_DAYS_BEFORE
from handlers.context import Context
from handlers.conversation import forms
from handlers.conversation.forms import Choice, Run, Step
from handlers.envelopes import Inbound, Outbound, text
from messages.render import render
from storage import audit
from storage.aid import postings
from storage.careers.dates import parse_deadline
from storage.models import AidKind, AidPosting
from storage.outreach.audience import Scope

CHANNEL = "_channel"
"""A draft value that is no step: the channel the form runs on, to reopen it there."""
KINDS = tuple(Choice(kind.value, kind.value) for kind in AidKind)


async def start(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    if _scope(who).nobody:
        await audit.record(
            ctx.session, action="denied_publish_aid", at=ctx.now, actor_id=who.person_id
        )
        return [text(render("aid_not_allowed"))]
    prefill = {CHANNEL: (inbound.channel, "")}
    return await forms.start(ctx, who, channel=inbound.channel, form=FORM, prefill=prefill)


def _scope(who: Identity) -> Scope:
    return access.aid_scope(who.roles, person_id=who.person_id, college=who.person.college)


async def _choices(run: Run, step: Step) -> list[Choice]:
    return list(KINDS) if step.name == "kind" else []


async def complete(run: Run) -> list[Outbound]:
    """Store the posting, or ask for the deadline again when it names no day ahead. Access
    is asked again: the draft may be confirmed long after it was begun."""
    ctx, who, values = run.ctx, run.who, run.state.values
    scope = _scope(who)
    if scope.nobody:
        return [text(render("aid_not_allowed"))]
    today = ctx.now.astimezone(ctx.config.tz).date()
    deadline = parse_deadline(values["deadline"], today=today)
    if deadline is None or deadline < today:
        return await _ask_deadline_again(run, passed=deadline is not None)
    posting = await postings.add_posting(ctx.session, _posting(values, who, deadline, scope, ctx))
    await audit.record(
        ctx.session,
        action="aid_published",
        at=ctx.now,
        actor_id=who.person_id,
        detail=f"aid posting {posting.id}",
    )
    shown = _scope_shown(scope)
    days = REMIND_DAYS_BEFORE
    return [text(render("aid_published", posting=posting, scope=shown, days=days))]


def _posting(
    values: dict[str, Any], who: Identity, deadline: date, scope: Scope, ctx: Context
) -> AidPosting:
    return AidPosting(
        publisher_id=who.person_id,
        name=values["name"],
        kind=values["kind"],
        eligibility=values["eligibility"],
        deadline=deadline,
        how_to_apply=values["how"],
        scope_college=None if scope.everyone else scope.college,
        scope_teacher_id=None if scope.everyone else scope.student_affairs_of,
        created_at=ctx.now,
    )


def _scope_shown(scope: Scope) -> dict[str, Any]:
    return {"everyone": scope.everyone, "college": scope.college}


async def _ask_deadline_again(run: Run, *, passed: bool) -> list[Outbound]:
    """The draft (dropped on 确认) opens again with every answer kept but the deadline."""
    values, labels = run.state.values, run.state.labels
    kept = {
        name: (value, labels.get(name, "")) for name, value in values.items() if name != "deadline"
    }
    hint = text(render("aid_bad_deadline", given=values["deadline"], passed=passed))
    channel = str(values[CHANNEL])
    reopened = await forms.start(run.ctx, run.who, channel=channel, form=FORM, prefill=kept)
    return [hint, *reopened]


def _text_step(name: str, label: str, low: int, high: int) -> Step:
    return Step(name, "text", f"aid_ask_{name}", label, False, low, high)


FORM = forms.Form(
    name="aid_posting",
    title="aid_post_title",
    steps=(
        _text_step("name", "项目名称", 2, 60),
        Step("kind", "choice", "aid_ask_kind", "资助类型"),
        _text_step("eligibility", "申请条件", 2, 300),
        _text_step("deadline", "截止日期", 3, 20),
        _text_step("how", "申请方式", 2, 300),
    ),
    choices=_choices,
    complete=complete,
)
