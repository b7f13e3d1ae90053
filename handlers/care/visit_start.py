"""Ways into the visit-log form: 记录, 记录 张三, a one-line quick log, or a reminder's button."""

from __future__ import annotations

from typing import Any

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.care import visit_form as visits
from handlers.care.quick_log import QuickLog, StudentRef, parse_quick_log
from handlers.context import Context
from handlers.conversation import forms
from handlers.conversation.answers import number_of
from handlers.envelopes import Inbound, Outbound, text
from messages.render import render
from storage import audit
from storage.care import visits as visit_queries
from storage.care.kinds import visit_kinds
from storage.models import Person

Prefill = dict[str, tuple[Any, str]]


async def start_log(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    mine = await visit_queries.assigned_students(ctx.session, who.person_id)
    if not mine:
        if args:  # 记录 张三 with no students of one's own: as for a student not one's own
            return await _not_mine(who, ctx, args.split()[0])
        return [text(render("visit_no_students"))]
    prefill: Prefill = {}
    notes: list[Outbound] = []
    if args:
        parsed = await _quick(args, who, ctx, [person for person, _ in mine])
        if isinstance(parsed, list):
            return parsed
        prefill, notes = parsed
    loaded = {"student": visits.student_choices(mine)}  # read once, for both
    replies = await forms.start(
        ctx, who, channel=inbound.channel, form=visits.FORM, prefill=prefill, loaded=loaded
    )
    return [*notes, *replies]


async def start_from_button(
    inbound: Inbound, who: Identity, ctx: Context, args: str
) -> list[Outbound]:
    """`visit:start:<student id>:<kind>` from a reminder: student and kind prefilled."""
    head, _, kind = args.partition(":")
    student_id = number_of(head)
    student = await ctx.session.get(Person, student_id) if student_id is not None else None
    if student is None or not await _may_log(who, ctx, student):
        return await _denied(who, ctx, student)
    prefill: Prefill = {"student": (str(student.id), visits.student_choice(student).label)}
    if kind in visits.kinds_for(who.roles):
        prefill["kind"] = (kind, kind)
    return await forms.start(ctx, who, channel=inbound.channel, form=visits.FORM, prefill=prefill)


async def _may_log(who: Identity, ctx: Context, student: Person) -> bool:
    seats = await visits.seats_for(who, ctx.session, student.id or 0)
    return access.may_log_visit(seats)


async def _denied(who: Identity, ctx: Context, student: Person | None) -> list[Outbound]:
    await _audit_denied(who, ctx, student)
    return [text(render("no_permission"))]


async def _audit_denied(who: Identity, ctx: Context, student: Person | None) -> None:
    await audit.record(
        ctx.session,
        action="denied_visit_log",
        at=ctx.now,
        actor_id=who.person_id,
        subject_id=student.id if student else None,
    )


async def _not_mine(who: Identity, ctx: Context, token: str) -> list[Outbound]:
    """A name or 学号 that is none of the author's students gets one reply whether or not such
    a student exists: a peer mentor (a student) must not learn who is on the roll. An attempt
    on a real student is audited."""
    others = await visit_queries.students_named(ctx.session, token)
    if others:
        await _audit_denied(who, ctx, others[0] if len(others) == 1 else None)
    return [text(render("visit_student_not_yours", token=token))]


async def _quick(
    args: str, who: Identity, ctx: Context, mine: list[Person]
) -> tuple[Prefill, list[Outbound]] | list[Outbound]:
    """What a one-line log already says, or the reply that stops it (not the author's student)."""
    refs = [StudentRef(p.id or 0, p.name, p.code, p.class_name) for p in mine]
    kinds = visits.kinds_for(who.roles)
    parsed = parse_quick_log(args, students=refs, kinds=kinds, now=ctx.now, tz=ctx.config.tz)
    if not parsed.candidates and parsed.student_token:
        return await _not_mine(who, ctx, parsed.student_token)
    notes: list[Outbound] = []
    if parsed.disallowed_kind:
        notes.append(text(render("visit_kind_not_allowed", kind=parsed.disallowed_kind)))
    if parsed.when_error:  # the form then asks for the time, as it does after a bad answer
        notes.append(text(render(f"hint_when_{parsed.when_error}")))
    return _prefill(parsed, ctx), notes


def _prefill(parsed: QuickLog, ctx: Context) -> Prefill:
    prefill: Prefill = {}
    if parsed.candidates and len(parsed.candidates) == 1:
        ref = parsed.candidates[0]
        label = f"{ref.name}（{ref.class_name}）" if ref.class_name else ref.name
        prefill["student"] = (str(ref.id), label)
    if parsed.kind:
        prefill["kind"] = (parsed.kind, parsed.kind)
    if parsed.when_error is None:  # a quick log without a time means "just now"
        moment = parsed.occurred_at or ctx.now
        local = moment.astimezone(ctx.config.tz)
        prefill["when"] = (moment.isoformat(), local.strftime("%Y-%m-%d %H:%M"))
    place = parsed.place or _default_place(parsed.kind)
    if place:
        prefill["place"] = (place, place)
    if parsed.summary and 2 <= len(parsed.summary) <= 500:
        prefill["summary"] = (parsed.summary, parsed.summary)
    if parsed.effect:
        prefill["effect"] = (parsed.effect, parsed.effect)
    if parsed.risk is not None:
        prefill["risk"] = (parsed.risk, "有" if parsed.risk else "无")
    prefill["follow_up"] = (None, render("form_skipped_value"))
    return prefill


def _default_place(kind: str | None) -> str | None:
    return next((k.place for k in visit_kinds() if k.name == kind), None)
