"""`申请补助`: a student's request for temporary hardship aid (reason, what is needed), routed
1:1 to their student-affairs teacher, who answers `同意 N 备注` or `不同意 N 备注`; the student
hears the decision, which is stored for the case file and the ledger's 帮扶措施. Nothing of it
reaches peers or peer mentors: only the teacher it was routed to may decide or read it."""

from __future__ import annotations

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.aid.help_request import who_answers
from handlers.context import Context
from handlers.conversation import forms
from handlers.conversation.answers import number_of
from handlers.conversation.forms import Choice, Run, Step
from handlers.delivery import send_to_people
from handlers.envelopes import Inbound, Outbound, text
from messages.render import render
from storage import audit
from storage.aid import applications
from storage.models import AidApplication, AidStatus, Person


async def start(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    if not access.may_apply_for_aid(who.person.kind):
        return [text(render("aid_students_only"))]
    if await who_answers(ctx, who.person) is None:
        return [text(render("aid_apply_no_teacher"))]
    return await forms.start(ctx, who, channel=inbound.channel, form=FORM)


async def _no_choices(run: Run, step: Step) -> list[Choice]:
    return []


async def complete(run: Run) -> list[Outbound]:
    """Store the application and tell the teacher; the student hears who will decide."""
    ctx, who, values = run.ctx, run.who, run.state.values
    teacher = await who_answers(ctx, who.person)
    if teacher is None or teacher.id is None:
        return [text(render("aid_apply_no_teacher"))]
    application = await applications.add_application(
        ctx.session,
        AidApplication(
            student_id=who.person_id,
            teacher_id=teacher.id,
            reason=values["reason"],
            need=values["need"],
            created_at=ctx.now,
        ),
    )
    notice = render("aid_apply_notice", application=application, student=who.person)
    key = f"aid:application:{application.id}"
    await send_to_people(ctx, person_ids=[teacher.id], message=text(notice), key=key)
    return [text(render("aid_apply_sent", teacher=teacher.name))]


async def approve(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    return await _decide(ctx, who, args, approved=True)


async def decline(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    return await _decide(ctx, who, args, approved=False)


async def _decide(ctx: Context, who: Identity, args: str, *, approved: bool) -> list[Outbound]:
    """`同意 N 备注` / `不同意 N 备注`, by the teacher the application was routed to."""
    number, _, note = args.strip().partition(" ")
    application_id = number_of(number)
    if application_id is None:
        return [text(render("aid_decide_usage"))]
    application = await applications.get_application(ctx.session, application_id)
    routed_to = application.teacher_id if application else None
    if application is None or not access.may_decide_aid(who.person_id, routed_to=routed_to):
        await audit.record(
            ctx.session,
            action="denied_aid_decision",
            at=ctx.now,
            actor_id=who.person_id,
            detail=f"application {application_id}",
        )
        return [text(render("aid_no_such_application", number=application_id))]
    if application.status != AidStatus.PENDING:
        return [text(render("aid_already_decided", application=application))]
    remark = note.strip() or None
    await applications.decide(
        ctx.session, application, approved=approved, note=remark, by=who.person_id, now=ctx.now
    )
    await audit.record(ctx.session, action="aid_approved" if approved else "aid_declined",
                       at=ctx.now, actor_id=who.person_id, subject_id=application.student_id,
                       detail=f"application {application.id}")  # fmt: skip
    await _tell_student(ctx, application, teacher=who.person)
    student = await ctx.session.get(Person, application.student_id)
    return [text(render("aid_decided", application=application, student=student))]


async def _tell_student(ctx: Context, application: AidApplication, *, teacher: Person) -> None:
    answer = render("aid_decision_notice", application=application, teacher=teacher.name)
    key = f"aid:application:{application.id}:decision"
    await send_to_people(ctx, person_ids=[application.student_id], message=text(answer), key=key)


FORM = forms.Form(
    name="aid_application",
    title="aid_apply_title",
    steps=(
        Step("reason", "text", "aid_ask_reason", "申请原因", False, 2, 500),
        Step("need", "text", "aid_ask_need", "需要的帮助", False, 2, 300),
    ),
    choices=_no_choices,
    complete=complete,
)
