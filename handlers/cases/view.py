"""`档案 张三`: the case file section by section (a card each, with its edit button for the
student-affairs teacher); `修改档案 张三 问题` and the buttons open a section's form."""

from __future__ import annotations

from datetime import date

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.cases import lookup, sections
from handlers.cases.lookup import Target
from handlers.context import Context
from handlers.conversation import forms
from handlers.conversation.answers import number_of
from handlers.envelopes import Button, Inbound, Outbound, text
from messages.render import render
from storage import audit
from storage.care import visits
from storage.cases import closures, files
from storage.cases.files import CaseRecord, problem_field

EDIT_BUTTON = "case:edit:"
SECTIONS = ("problems", "history", "plan")


async def show(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    token = args.strip()
    if not token:
        return [text(render("case_usage"))]
    target = await lookup.by_name(ctx, who, token)
    if isinstance(target, list):
        return target
    await audit.record(
        ctx.session,
        action="case_file_viewed",
        at=ctx.now,
        actor_id=who.person_id,
        subject_id=target.student_id,
    )
    record = await files.record_of(ctx.session, target.student_id)
    return [await _basic(ctx, target, record), *_sections(target, record)]


async def _basic(ctx: Context, target: Target, record: CaseRecord) -> Outbound:
    team = await visits.team_of(ctx.session, target.student_id)
    pending = await closures.pending_for(ctx.session, target.student_id)
    tz, student = ctx.config.tz, target.student
    case = record.file
    body = render(
        "case_basic",
        student=student,
        age=_age(student.birth_date, ctx.now.astimezone(tz).date()),
        team={seat: person.name for seat, person in team.items()},
        case=case,
        opened=case.opened_at.astimezone(tz).date() if case else None,
        closed=case.closed_at.astimezone(tz).date() if case and case.closed_at else None,
        pending=pending,
        editor=access.may_edit_case_file(target.seats),
    )
    return Outbound(kind="text", text=body)


def _sections(target: Target, record: CaseRecord) -> list[Outbound]:
    values = record.values()
    problems = [
        {
            "name": category.name,
            "column": category.ledger_column or category.name,
            "text": values.get(problem_field(category.code)),
            "verification": values.get(files.VERIFICATION)
            if category.code == files.PHYSICAL
            else False,
        }
        for category in record.categories
    ]
    editable = access.may_edit_case_file(target.seats) and not record.closed
    shown = []
    for section in SECTIONS:
        body = render(f"case_section_{section}", problems=problems, values=values, case=record.file)
        buttons = (
            (Button(f"{EDIT_BUTTON}{section}:{target.student_id}", render(f"case_edit_{section}")),)
            if editable
            else ()
        )
        shown.append(
            Outbound(
                kind="card" if buttons else "text",
                text=body,
                buttons=buttons,
                title=render("case_title", student=target.student),
            )
        )
    return shown


def _age(birth: date | None, today: date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


async def edit(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """`修改档案 <student> <section>`: open that section's form (words: SECTION_WORDS)."""
    token, _, word = args.strip().rpartition(" ")
    section = sections.SECTION_WORDS.get(word.strip())
    if section is None or not token.strip():
        return [text(render("case_edit_usage"))]
    target = await lookup.by_name(ctx, who, token.strip())
    if isinstance(target, list):
        return target
    return await _open(inbound, who, ctx, target.student_id, section)


async def edit_button(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """The edit button of a section: `case:edit:<section>:<student id>`."""
    section, _, number = args.partition(":")
    student_id = number_of(number)
    if section not in sections.SECTION_FORMS or student_id is None:
        return [text(render("case_edit_usage"))]
    return await _open(inbound, who, ctx, student_id, section)


async def _open(
    inbound: Inbound, who: Identity, ctx: Context, student_id: int, section: str
) -> list[Outbound]:
    target = await sections.may_write(ctx, who, student_id)
    if isinstance(target, list):
        return target
    record = await files.record_of(ctx.session, student_id)
    return await forms.start(
        ctx,
        who,
        channel=inbound.channel,
        form=sections.SECTION_FORMS[section],
        prefill=sections.prefill(target.student, record),
    )
