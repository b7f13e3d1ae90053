"""群发: who may send to whom, the preview (count, one rendered example, who is left out and
why, the privacy guard), then 确认发送 / 仍然发送 / 取消, and 批准 N for large audiences."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers import delivery
from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.context import Context
from handlers.envelopes import Outbound, text
from handlers.outreach import filters as filter_syntax
from handlers.outreach import notice, sending
from handlers.outreach.line import Request
from handlers.reminders.rules import graduating_year
from messages.render import render
from storage import audit
from storage.models import Broadcast, BroadcastStatus, Person, Role
from storage.outreach import audience as audiences
from storage.outreach import broadcasts, privacy
from storage.outreach.audience import Audience, Filters, Scope
from storage.people.roles import people_with_role, roles_of

LIMIT_BYTES = 1800
"""The longest notice: WeCom's 2048-byte text less the title and what a card adds."""
CONFIRM = "确认发送"
OVERRIDE = "仍然发送"


@dataclass(frozen=True)
class Checked:
    filters: Filters
    scope: Scope
    audience: Audience


def scope_of(who: Identity) -> Scope:
    return access.broadcast_scope(who.roles, person_id=who.person_id, college=who.person.college)


async def refuse(ctx: Context, who: Identity, channel: str, action: str) -> list[Outbound]:
    await audit.record(
        ctx.session, action=action, at=ctx.now, actor_id=who.person_id, channel=channel
    )
    return [text(render("outreach_no_permission"))]


async def compose(
    ctx: Context, who: Identity, channel: str, request: Request, *, store: bool = True
) -> list[Outbound]:
    """Check the request and show its preview; a draft is stored for 确认发送 (not with
    `store=False`: a dry run)."""
    scope = scope_of(who)
    if scope.nobody:
        return await refuse(ctx, who, channel, "broadcast_refused")
    checked = await _check(ctx, request, scope)
    if not isinstance(checked, Checked):
        return [text(checked)]
    found = checked.audience
    if not found.recipients:
        return [text(render("outreach_empty_audience", left=_left_counts(found)))]
    words = privacy.words_in(request.content) if checked.filters.sensitive else []
    if store:
        await broadcasts.drop_drafts(ctx.session, who.person_id)
    draft = Broadcast(
        sender_id=who.person_id,
        sender_channel=channel,
        topic=request.topic,
        content=request.content,
        audience=notice.dump_filters(checked.filters),
        needs_receipt=request.needs_receipt,
        urgent=request.urgent,
        confidential=checked.filters.sensitive,
        guard_words=",".join(words) or None,
        recipient_count=len(found.recipients),
        needs_approval=len(found.recipients) > ctx.config.broadcast_approval_over,
        send_at=request.send_at,
        created_at=ctx.now,
    )
    if store:
        await broadcasts.add(ctx.session, draft)
    return [text(await _preview(ctx, draft, found, words))]


async def _check(ctx: Context, request: Request, scope: Scope) -> Checked | str:
    """The resolved audience, or the reason (a rendered reply) the request is refused."""
    parsed = filter_syntax.parse_filters(request.filters)
    if isinstance(parsed, filter_syntax.FilterError):
        return render("outreach_filter_error", error=parsed)
    unknown = await audiences.unknown_values(ctx.session, parsed)
    if unknown:
        labels = {field: name for name, field in filter_syntax.NAMES.items()}
        rows = [(labels[field], valid) for field, valid in unknown.items()]
        return render("outreach_filter_unknown_values", rows=rows)
    strangers = await audiences.unknown_student_numbers(
        ctx.session, parsed.student_numbers, within=scope
    )
    if strangers:
        return render("outreach_unknown_numbers", numbers=strangers)
    bad_variables = notice.unknown_variables(request.content)
    if bad_variables:
        return render("outreach_bad_variables", names=bad_variables, valid=list(notice.VARIABLES))
    if len(request.content.encode("utf-8")) > LIMIT_BYTES:
        return render("outreach_too_long", limit=LIMIT_BYTES // 3)
    time_problem = _time_problem(ctx, request)
    if time_problem:
        return time_problem
    found = await audiences.resolve(
        ctx.session,
        parsed,
        within=scope,
        topic=request.topic,
        channels={channel: ctx.config.match_for(channel) for channel in ctx.config.channels},
        now=ctx.now,
        class_year=graduating_year(ctx),
    )
    return Checked(parsed, scope, found)


def _time_problem(ctx: Context, request: Request) -> str | None:
    at = request.send_at
    if at is None:
        return None
    if at <= ctx.now:
        return render("outreach_time_past", at=_local(ctx, at), example=time_example(ctx))
    end = sending.quiet_until(at, ctx)
    if end is not None and not request.urgent:
        return render("outreach_time_quiet", at=_local(ctx, at), end=_local(ctx, end))
    return None


def time_example(ctx: Context) -> str:
    """A 定时 value to show as an example: tomorrow 09:00, never a time already past."""
    tomorrow = ctx.now.astimezone(ctx.config.tz).date() + timedelta(days=1)
    return f"{tomorrow.isoformat()} 09:00"


def _local(ctx: Context, moment: datetime) -> str:
    return moment.astimezone(ctx.config.tz).strftime("%Y-%m-%d %H:%M")


def _left_counts(found: Audience) -> dict[str, int]:
    return dict(Counter(reason for _, reason in found.left_out))


async def _preview(ctx: Context, draft: Broadcast, found: Audience, words: list[str]) -> str:
    sample = await ctx.session.get(Person, found.recipients[0])
    assert sample is not None
    example = notice.message(draft, notice.fill(draft.content or "", sample))
    quiet = None if draft.urgent else sending.quiet_until(draft.send_at or ctx.now, ctx)
    return render(
        "outreach_preview",
        broadcast=draft,
        count=len(found.recipients),
        left=_left_counts(found),
        example_title=example.title or "",
        example=notice.fill(draft.content or "", sample),
        send_at=_local(ctx, draft.send_at) if draft.send_at else None,
        quiet_end=_local(ctx, quiet) if quiet else None,
        words=words,
        approval_over=ctx.config.broadcast_approval_over,
        confirm=OVERRIDE if words else CONFIRM,
    )


async def confirm(ctx: Context, who: Identity, *, override: bool) -> list[Outbound]:
    """确认发送 (or 仍然发送 after a privacy-guard hit): the sender's open draft goes, once."""
    draft = await broadcasts.latest_draft(ctx.session, who.person_id)
    if draft is None or draft.id is None:
        return [text(render("outreach_nothing_to_confirm"))]
    if draft.guard_words and not override:
        return [text(render("outreach_guard_needs_override", words=draft.guard_words.split(",")))]
    target = (
        BroadcastStatus.AWAITING_APPROVAL if draft.needs_approval else BroadcastStatus.SCHEDULED
    )
    if not await broadcasts.claim_status(
        ctx.session, draft.id, old=BroadcastStatus.DRAFT, new=target
    ):
        return [text(render("outreach_nothing_to_confirm"))]
    draft.confirmed_at = ctx.now
    await audit.record(
        ctx.session,
        action="broadcast_confirmed",
        at=ctx.now,
        actor_id=who.person_id,
        detail=f"broadcast {draft.id}: {draft.recipient_count} recipient(s)",
    )
    if draft.needs_approval:
        asked = await _ask_approvers(ctx, who, draft)
        return [text(render("outreach_awaiting_approval", broadcast=draft, asked=asked))]
    return [text(await _released(ctx, draft))]


async def _ask_approvers(ctx: Context, who: Identity, draft: Broadcast) -> int:
    """Tell the admins who may approve (access.may_approve_broadcast) what waits for them."""
    college = who.person.college
    candidates = set(await people_with_role(ctx.session, Role.SCHOOL_ADMIN))
    if college:
        candidates |= set(await people_with_role(ctx.session, Role.COLLEGE_ADMIN, college=college))
    roles = await roles_of(ctx.session, sorted(candidates))
    people = {pid: await ctx.session.get(Person, pid) for pid in roles}
    approvers = [
        pid
        for pid, held in roles.items()
        if (person := people[pid]) is not None
        and access.may_approve_broadcast(
            held, own=pid == who.person_id, same_college=person.college == college
        )
    ]
    body = render(
        "outreach_approval_request",
        broadcast=draft,
        sender=who.person.name,
        excerpt=(draft.content or "")[:80],
    )
    key = f"broadcast-approval:{draft.id}"
    return await delivery.send_to_people(ctx, person_ids=approvers, message=text(body), key=key)


async def _released(ctx: Context, draft: Broadcast) -> str:
    queued = await sending.release(ctx, draft)
    if draft.status == BroadcastStatus.SCHEDULED:
        assert draft.send_at is not None
        return render("outreach_scheduled", broadcast=draft, at=_local(ctx, draft.send_at))
    return render("outreach_queued", broadcast=draft, count=queued)


async def approve(ctx: Context, who: Identity, number: int | None) -> list[Outbound]:
    """批准 N: a second admin lets a large broadcast go."""
    broadcast = await broadcasts.get(ctx.session, number) if number else None
    if broadcast is None or broadcast.status != BroadcastStatus.AWAITING_APPROVAL:
        return [text(render("outreach_nothing_to_approve", number=number or 0))]
    sender = await ctx.session.get(Person, broadcast.sender_id) if broadcast.sender_id else None
    own = broadcast.sender_id == who.person_id
    allowed = access.may_approve_broadcast(
        who.roles,
        own=own,
        same_college=sender is not None and sender.college == who.person.college,
    )
    if not allowed or broadcast.id is None:
        refused = await refuse(ctx, who, "", "broadcast_approval_refused")
        return [text(render("outreach_approve_own"))] if own else refused
    if not await broadcasts.claim_status(
        ctx.session,
        broadcast.id,
        old=BroadcastStatus.AWAITING_APPROVAL,
        new=BroadcastStatus.SCHEDULED,
    ):
        return [text(render("outreach_nothing_to_approve", number=number or 0))]
    broadcast.approved_by = who.person_id
    await audit.record(
        ctx.session,
        action="broadcast_approved",
        at=ctx.now,
        actor_id=who.person_id,
        detail=f"broadcast {broadcast.id}",
    )
    return [text(await _released(ctx, broadcast))]


async def cancel(ctx: Context, who: Identity) -> list[Outbound]:
    """取消 outside a form: the sender's draft, or a broadcast still waiting for approval."""
    draft = await broadcasts.latest_draft(ctx.session, who.person_id)
    if draft is not None and draft.id is not None:
        await broadcasts.claim_status(
            ctx.session, draft.id, old=BroadcastStatus.DRAFT, new=BroadcastStatus.CANCELLED
        )
        return [text(render("outreach_cancelled", broadcast=draft))]
    return [text(render("outreach_nothing_to_cancel"))]
