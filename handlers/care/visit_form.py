"""The visit-log form (辅导记录): student, kind, time, place, summary, effect, risk, follow-up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.cases import suggest
from handlers.conversation import answers, forms
from handlers.conversation.forms import Choice, Known, Run, Step
from handlers.envelopes import Outbound
from handlers.safety import alerts
from messages.render import render
from storage import audit
from storage.care import visits
from storage.care.kinds import effects, visit_kinds
from storage.models import Person, VisitLog

UNDO_MINUTES = 10


def kinds_for(roles: frozenset[str]) -> list[str]:
    """Peer mentors may log only the kinds marked `peer`; staff all kinds marked `staff`."""
    peer_only = access.is_peer_only(roles)
    return [k.name for k in visit_kinds() if (k.peer if peer_only else k.staff)]


def student_choice(person: Person) -> Choice:
    label = f"{person.name}（{person.class_name}）" if person.class_name else person.name
    return Choice(str(person.id), label, aliases=(person.name.lower(), person.code.lower()))


def student_choices(mine: Sequence[tuple[Person, str]]) -> list[Choice]:
    """The student step's choices from `visits.assigned_students`."""
    return [student_choice(person) for person, _ in mine]


async def _choices(run: Run, step: Step) -> list[Choice]:
    if step.name == "student":
        return student_choices(await visits.assigned_students(run.ctx.session, run.who.person_id))
    if step.name == "kind":
        return [Choice(kind, kind) for kind in kinds_for(run.who.roles)]
    if step.name == "effect":
        return [Choice(effect, effect) for effect in effects()]
    return []


def _now(known: Known) -> answers.Parsed:
    local = known.now.astimezone(known.tz)
    return answers.Parsed(known.now.isoformat(), local.strftime("%Y-%m-%d %H:%M"))


def _place(known: Known) -> answers.Parsed | None:
    kind = known.values.get("kind")
    place = next((k.place for k in visit_kinds() if k.name == kind), None)
    return answers.Parsed(place, place) if place else None


def _has_risk(values: Mapping[str, Any]) -> bool:
    return values.get("risk") is True


async def complete(run: Run) -> list[Outbound]:
    """Store the log; a safety risk raises an alert at once. Access is asked again: a draft
    may be confirmed a day after it was begun, by someone no longer on the student's team."""
    student_id = int(run.state.values["student"])
    if not access.may_log_visit(await seats_for(run.who, run.ctx.session, student_id)):
        return await _refuse_at_confirm(run, student_id)
    return await _save(run)


async def _refuse_at_confirm(run: Run, student_id: int) -> list[Outbound]:
    values = run.state.values
    risk = _has_risk(values)
    alert = ("visit_log", values.get("risk_detail") or "") if risk else None
    await record_refusal(run, student_id, action="denied_visit_log", alert=alert)
    student = run.state.labels.get("student", "")
    return [Outbound(kind="text", text=render("visit_not_on_team", student=student, risk=risk))]


async def record_refusal(
    run: Run, student_id: int, *, action: str, alert: tuple[str, str] | None
) -> None:
    """A form refused at 确认 (the author no longer the student's): nothing is saved, the
    refusal is audited, and a risk the draft reports (`alert`: source, detail) still reaches
    the student's people."""
    ctx = run.ctx
    await audit.record(
        ctx.session,
        action=action,
        at=ctx.now,
        actor_id=run.who.person_id,
        subject_id=student_id,
        detail="at confirmation",
    )
    if alert is not None:
        source, detail = alert
        await alerts.raise_alert(
            ctx, student_id=student_id, raised_by=run.who, source=source, detail=detail
        )


async def _save(run: Run) -> list[Outbound]:
    values, ctx = run.state.values, run.ctx
    log = await visits.add_log(
        ctx.session,
        VisitLog(
            student_id=int(values["student"]),
            author_id=run.who.person_id,
            kind=values["kind"],
            occurred_at=datetime.fromisoformat(values["when"]),
            place=values.get("place"),
            summary=values["summary"],
            effect=values["effect"],
            risk=bool(values.get("risk")),
            risk_description=values.get("risk_detail"),
            follow_up=values.get("follow_up"),
            created_at=ctx.now,
        ),
    )
    await audit.record(
        ctx.session,
        action="visit_log_created",
        at=ctx.now,
        actor_id=run.who.person_id,
        subject_id=log.student_id,
    )
    await suggest.after_log(ctx, log)  # a run of good effects: suggest closing the case file
    replies = [
        Outbound(
            kind="text",
            text=render("visit_saved", student=run.state.labels["student"], minutes=UNDO_MINUTES),
        )
    ]
    if log.risk:
        await alerts.raise_alert(
            ctx,
            student_id=log.student_id,
            raised_by=run.who,
            source="visit_log",
            detail=log.risk_description or "",
        )
        replies.append(Outbound(kind="text", text=render("visit_risk_reported")))
    return replies


FORM = forms.Form(
    name="visit",
    title="visit_title",
    steps=(
        Step("student", "choice", "ask_student", "学生"),
        Step("kind", "choice", "ask_kind", "类型"),
        Step("when", "when", "ask_when", "时间", optional=True, default=_now),
        Step(
            "place",
            "text",
            "ask_place",
            "地点",
            optional=True,
            min_len=1,
            max_len=40,
            default=_place,
        ),
        Step("summary", "text", "ask_summary", "内容摘要", min_len=2, max_len=500),
        Step("effect", "choice", "ask_effect", "效果评估"),
        Step("risk", "yesno", "ask_risk", "安全风险"),
        Step(
            "risk_detail",
            "text",
            "ask_risk_detail",
            "风险描述",
            min_len=2,
            max_len=500,
            applies=_has_risk,
        ),
        Step(
            "follow_up", "text", "ask_follow_up", "后续跟进", optional=True, min_len=1, max_len=200
        ),
    ),
    choices=_choices,
    complete=complete,
)


async def seats_for(who: Identity, session: AsyncSession, student_id: int) -> frozenset[str]:
    """The seats `who` holds in this student's 1+1+1 team (none for a stranger)."""
    team = await visits.team_of(session, student_id)
    return frozenset(role for role, person in team.items() if person.id == who.person_id)
