"""Closing a case file: `建议撤销建档 张三 原因` (a staff member of the team), decided by the
student's student-affairs teacher (or an admin) with `批准 N` / `驳回 N 原因` or the buttons;
`恢复建档 张三` reopens it. `批准 N` is shared with large broadcasts: a closing proposal N the
person may decide comes first, anything else goes to the broadcast approval unchanged."""

from __future__ import annotations

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.aid.help_request import who_answers
from handlers.care.visit_form import seats_for
from handlers.cases import lookup
from handlers.context import Context
from handlers.conversation.answers import number_of
from handlers.delivery import send_to_people
from handlers.envelopes import Button, Inbound, Outbound, text
from handlers.outreach import broadcast
from messages.render import render
from storage import audit
from storage.cases import closures, files
from storage.models import BroadcastStatus, CaseClosure, Person
from storage.outreach import broadcasts

APPROVE_BUTTON = "case:approve:"
REJECT_BUTTON = "case:reject:"
REASON_MAX = 200


async def propose(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    token, _, reason = args.strip().partition(" ")
    reason = reason.strip()
    if not token or not reason:
        return [text(render("case_propose_usage"))]
    if len(reason) > REASON_MAX:
        return [text(render("case_reason_too_long", most=REASON_MAX))]
    target = await lookup.by_name(ctx, who, token)
    if isinstance(target, list):
        return target
    if not access.may_propose_closing(who.roles, seats=target.seats):
        return await lookup.refuse(
            ctx, who, action="denied_case_close", student_id=target.student_id
        )
    record = await files.record_of(ctx.session, target.student_id)
    if record.closed:
        return [text(render("case_already_closed", student=target.student))]
    pending = await closures.pending_for(ctx.session, target.student_id)
    if pending is not None:
        return [text(render("case_close_pending", closure=pending, student=target.student))]
    closure = await closures.propose(
        ctx.session, target.student_id, proposer_id=who.person_id, reason=reason, now=ctx.now
    )
    await _audit(ctx, who, "case_close_proposed", closure)
    decider = await who_answers(ctx, target.student)
    if decider is None or decider.id == who.person_id:
        return [text(render("case_close_proposed_self", closure=closure, student=target.student))]
    await _ask(ctx, closure, student=target.student, proposer=who.person, decider=decider)
    return [text(render("case_close_proposed", student=target.student, decider=decider))]


async def _ask(
    ctx: Context, closure: CaseClosure, *, student: Person, proposer: Person, decider: Person
) -> None:
    """The decider's card: who proposes closing whose file, why, and the two buttons."""
    body = render("case_close_request", closure=closure, student=student, proposer=proposer)
    buttons = (
        Button(f"{APPROVE_BUTTON}{closure.id}", render("case_approve_button")),
        Button(f"{REJECT_BUTTON}{closure.id}", render("case_reject_button")),
    )
    card = Outbound(kind="card", title=render("case_close_title"), text=body, buttons=buttons)
    await send_to_people(
        ctx, person_ids=[decider.id or 0], message=card, key=f"case:closure:{closure.id}"
    )


async def approve(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """批准 N: a closing proposal N this person may decide, else the broadcast approval."""
    number = number_of(args.strip())
    closure = await _pending(ctx, number)
    if closure is None:
        return await broadcast.approve(ctx, who, number)
    if await _may_decide(ctx, who, closure):
        return await _decide(ctx, who, closure, approved=True, note=None)
    if await _broadcast_waiting(ctx, number):
        return await broadcast.approve(ctx, who, number)
    return await lookup.refuse(
        ctx, who, action="denied_case_decision", student_id=closure.student_id
    )


async def reject(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """驳回 N 原因 (the reason may be left out)."""
    number, _, note = args.strip().partition(" ")
    closure = await _pending(ctx, number_of(number))
    if closure is None:
        return [text(render("case_no_such_proposal", number=number))]
    if not await _may_decide(ctx, who, closure):
        return await lookup.refuse(
            ctx, who, action="denied_case_decision", student_id=closure.student_id
        )
    return await _decide(ctx, who, closure, approved=False, note=note.strip()[:REASON_MAX] or None)


async def approve_button(
    inbound: Inbound, who: Identity, ctx: Context, args: str
) -> list[Outbound]:
    """The 批准 button: only ever a closing proposal (never a broadcast)."""
    closure = await _pending(ctx, number_of(args))
    if closure is None:
        return [text(render("case_no_such_proposal", number=args))]
    if not await _may_decide(ctx, who, closure):
        return await lookup.refuse(
            ctx, who, action="denied_case_decision", student_id=closure.student_id
        )
    return await _decide(ctx, who, closure, approved=True, note=None)


async def reject_button(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    return await reject(inbound, who, ctx, args)


async def _pending(ctx: Context, number: int | None) -> CaseClosure | None:
    closure = await closures.get(ctx.session, number) if number else None
    return closure if closure is not None and closure.status == closures.PENDING else None


async def _broadcast_waiting(ctx: Context, number: int | None) -> bool:
    found = await broadcasts.get(ctx.session, number) if number else None
    return found is not None and found.status == BroadcastStatus.AWAITING_APPROVAL


async def _may_decide(ctx: Context, who: Identity, closure: CaseClosure) -> bool:
    student = await ctx.session.get(Person, closure.student_id)
    if student is None:
        return False
    seats = await seats_for(who, ctx.session, closure.student_id)
    same = bool(who.person.college) and student.college == who.person.college
    return access.may_decide_closing(who.roles, seats=seats, same_college=same)


async def _decide(
    ctx: Context, who: Identity, closure: CaseClosure, *, approved: bool, note: str | None
) -> list[Outbound]:
    student = await ctx.session.get(Person, closure.student_id)
    decided = await closures.decide(
        ctx.session, closure, approved=approved, by=who.person_id, note=note, now=ctx.now
    )
    if not decided or student is None:
        return [text(render("case_no_such_proposal", number=closure.id))]
    await _audit(ctx, who, "case_close_approved" if approved else "case_close_rejected", closure)
    if closure.proposer_id and closure.proposer_id != who.person_id:
        told = render("case_close_decision_notice", closure=closure, student=student, by=who.person)
        key = f"case:closure:{closure.id}:decision"
        await send_to_people(ctx, person_ids=[closure.proposer_id], message=text(told), key=key)
    return [text(render("case_close_decided", closure=closure, student=student))]


async def reopen(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """恢复建档 张三: the student-affairs teacher or an admin opens a closed file again."""
    token = args.strip()
    if not token:
        return [text(render("case_reopen_usage"))]
    target = await lookup.by_name(ctx, who, token)
    if isinstance(target, list):
        return target
    allowed = access.may_decide_closing(
        who.roles, seats=target.seats, same_college=target.same_college
    )
    if not allowed:
        return await lookup.refuse(
            ctx, who, action="denied_case_reopen", student_id=target.student_id
        )
    record = await files.record_of(ctx.session, target.student_id)
    if record.file is None or not record.closed:
        return [text(render("case_not_closed", student=target.student))]
    await closures.reopen(ctx.session, record.file, by=who.person_id, now=ctx.now)
    await audit.record(
        ctx.session,
        action="case_file_reopened",
        at=ctx.now,
        actor_id=who.person_id,
        subject_id=target.student_id,
    )
    return [text(render("case_reopened", student=target.student))]


async def _audit(ctx: Context, who: Identity, action: str, closure: CaseClosure) -> None:
    await audit.record(
        ctx.session,
        action=action,
        at=ctx.now,
        actor_id=who.person_id,
        subject_id=closure.student_id,
        detail=f"closure {closure.id}",
    )
