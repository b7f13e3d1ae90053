"""`上报 张三 情况`: a class's 心理委员 or a dorm's 寝室长 tells the classmate's counsellor of a
concern, 1:1. The reporter learns nothing about the classmate (no category, no file); the
classmate is never told who reported. Crisis words raise a safety alert about the classmate."""

from __future__ import annotations

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.aid.help_request import who_answers
from handlers.context import Context
from handlers.delivery import send_to_people
from handlers.envelopes import Inbound, Outbound, text
from handlers.safety import alerts, screening
from messages.render import render
from storage import audit
from storage.aid import applications
from storage.care import visits
from storage.models import ConcernReport, Person

LONGEST = 1000


async def report(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """The command screens its own crisis words (`screens_crisis`): about the classmate it
    names; when it names none it may reach, the usual screening runs (about the writer)."""
    if not access.is_network_member(who.roles):
        await audit.record(
            ctx.session, action="denied_concern_report", at=ctx.now, actor_id=who.person_id
        )
        return [*await screening.screen(inbound, who, ctx, None), _refusal("not_allowed")]
    token, _, situation = args.strip().partition(" ")
    situation = situation.strip()[:LONGEST]
    if not token or not situation:
        return [*await screening.screen(inbound, who, ctx, None), _refusal("usage")]
    found = [p for p in await visits.students_named(ctx.session, token) if _reaches(who, p)]
    if len(found) != 1 or found[0].id is None:
        await audit.record(
            ctx.session, action="concern_not_matched", at=ctx.now, actor_id=who.person_id
        )
        no_match = render("aid_concern_no_match", token=token, several=len(found) > 1)
        return [*await screening.screen(inbound, who, ctx, None), text(no_match)]
    return await _send(ctx, who, found[0], situation)


def _refusal(reason: str) -> Outbound:
    return text(render(f"aid_concern_{reason}"))


def _reaches(who: Identity, student: Person) -> bool:
    reporter = who.person
    if student.id == reporter.id:
        return False
    same_class = bool(reporter.class_name) and (student.college, student.class_name) == (
        reporter.college,
        reporter.class_name,
    )
    same_dorm = bool(reporter.dorm) and student.dorm == reporter.dorm
    return access.may_report_concern(who.roles, same_class=same_class, same_dorm=same_dorm)


async def _send(ctx: Context, who: Identity, student: Person, situation: str) -> list[Outbound]:
    assert student.id is not None
    if alerts.crisis_words_in(situation, ctx.config.crisis_words):
        await alerts.raise_alert(
            ctx, student_id=student.id, raised_by=who, source="message", detail=situation
        )
        return [text(render("aid_concern_sent", name=student.name, crisis=True))]
    readers = await _readers(ctx, student)
    if not readers:
        return [text(render("aid_concern_no_teacher", name=student.name))]
    stored = await applications.add_concern_report(
        ctx.session,
        ConcernReport(
            student_id=student.id,
            reporter_id=who.person_id,
            teacher_id=readers[0],
            text=situation,
            created_at=ctx.now,
        ),
    )
    notice = render("aid_concern_notice", student=student, reporter=who.person, text=situation)
    key = f"aid:concern:{stored.id}"
    await send_to_people(ctx, person_ids=readers, message=text(notice), key=key)
    return [text(render("aid_concern_sent", name=student.name, crisis=False))]


async def _readers(ctx: Context, student: Person) -> list[int]:
    """Who reads a report: whoever answers for the classmate (`who_answers`). The reporter
    hears the same either way, so a report never tells a student who is in care."""
    reader = await who_answers(ctx, student)
    return [reader.id] if reader is not None and reader.id is not None else []
