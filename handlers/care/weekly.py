"""周报: the student-affairs teacher's weekly report on each key-attention student."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from handlers.access.identity import Identity
from handlers.care.visit_form import record_refusal, student_choice
from handlers.context import Context
from handlers.conversation import forms
from handlers.conversation.forms import Choice, Run, Step
from handlers.envelopes import Inbound, Outbound
from handlers.safety import alerts
from messages.render import render
from storage import audit
from storage.care import visits, weekly
from storage.models import WeeklyReport

STATUSES = ("稳定", "波动", "危险")


def week_start(now: datetime, ctx: Context) -> date:
    local = now.astimezone(ctx.config.tz).date()
    return local - timedelta(days=local.weekday())


async def _choices(run: Run, step: Step) -> list[Choice]:
    if step.name == "student":
        monday = week_start(run.ctx.now, run.ctx)
        done = await weekly.reported_ids(
            run.ctx.session, author_id=run.who.person_id, week_start=monday
        )
        students = await weekly.key_students_of(run.ctx.session, run.who.person_id)
        return [
            Choice(
                c.value, c.label, c.aliases, render("weekly_done_marker") if s.id in done else ""
            )
            for s in students
            for c in [student_choice(s)]
        ]
    if step.name == "status":
        return [Choice(status, status) for status in STATUSES]
    return []


async def _complete(run: Run) -> list[Outbound]:
    """Store the week's report. Whose it may be is asked again: the draft may be confirmed
    long after the student was chosen from the list then shown."""
    ctx, values = run.ctx, run.state.values
    monday = week_start(ctx.now, ctx)
    start = datetime.combine(monday, time(0), tzinfo=ctx.config.tz)
    student_id = int(values["student"])
    students = await weekly.key_students_of(ctx.session, run.who.person_id)
    if student_id not in {student.id for student in students}:
        return await _refuse(run, student_id)
    contacts = await visits.contacts_between(ctx.session, student_id, start=start, end=ctx.now)
    await weekly.upsert(
        ctx.session,
        WeeklyReport(
            student_id=student_id,
            author_id=run.who.person_id,
            week_start=monday,
            status=values["status"],
            contacts=contacts,
            note=values.get("note"),
            created_at=ctx.now,
        ),
    )
    await audit.record(
        ctx.session,
        action="weekly_report",
        at=ctx.now,
        actor_id=run.who.person_id,
        subject_id=student_id,
    )
    if values["status"] == "危险":
        await alerts.raise_alert(
            ctx,
            student_id=student_id,
            raised_by=run.who,
            source="weekly",
            detail=values.get("note") or "",
        )
    done = await weekly.reported_ids(ctx.session, author_id=run.who.person_id, week_start=monday)
    remaining = len([s for s in students if s.id not in done])
    return [
        Outbound(
            kind="text",
            text=render(
                "weekly_saved",
                student=run.state.labels["student"],
                contacts=contacts,
                remaining=remaining,
                danger=values["status"] == "危险",
            ),
        )
    ]


async def _refuse(run: Run, student_id: int) -> list[Outbound]:
    values = run.state.values
    danger = values["status"] == "危险"
    alert = ("weekly", values.get("note") or "") if danger else None
    await record_refusal(run, student_id, action="denied_weekly_report", alert=alert)
    student = run.state.labels.get("student", "")
    return [Outbound(kind="text", text=render("weekly_not_yours", student=student, danger=danger))]


FORM = forms.Form(
    name="weekly",
    title="weekly_title",
    steps=(
        Step("student", "choice", "ask_weekly_student", "学生"),
        Step("status", "choice", "ask_weekly_status", "状态"),
        Step("note", "text", "ask_weekly_note", "备注", optional=True, min_len=1, max_len=300),
    ),
    choices=_choices,
    complete=_complete,
)


async def start(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    if not await weekly.key_students_of(ctx.session, who.person_id):
        return [Outbound(kind="text", text=render("weekly_none"))]
    return await forms.start(ctx, who, channel=inbound.channel, form=FORM)
