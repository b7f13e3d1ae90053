"""Risk escalation: crisis words and risky visit logs alert the responsible people at once.

Level 1 goes to the student's student-affairs teacher, the college admins and the
psychological centre; an alert nobody acknowledges in time goes to the school admins (level 2).
Alerts go 1:1, never to group chats.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from handlers import access
from handlers.context import Context
from handlers.delivery import send_to_people
from handlers.envelopes import Button, Outbound
from handlers.identity import Identity
from messages.render import render
from storage import alerts, audit, outbox, visits
from storage.models import Alert, AlertStatus, Person, Role, TeamRole

log = logging.getLogger(__name__)

MAX_LEVEL = 2
DEDUPE_WINDOW = timedelta(hours=1)


def crisis_words_in(text: str, words: tuple[str, ...]) -> list[str]:
    compact = "".join(text.split())
    return [word for word in words if word in compact]


async def raise_alert(
    ctx: Context,
    *,
    student_id: int | None,
    raised_by: Identity | None,
    source: str,
    detail: str,
) -> Alert:
    """Create an alert and notify level 1, unless the same risk is already open this hour."""
    raiser = raised_by.person_id if raised_by else None
    since = ctx.now - DEDUPE_WINDOW
    existing = await alerts.recent_open(
        ctx.session, student_id=student_id, raised_by=raiser, since=since
    )
    if existing is not None:
        return existing
    alert = await alerts.add(
        ctx.session,
        Alert(
            student_id=student_id,
            raised_by=raiser,
            source=source,
            detail=detail[:500],
            created_at=ctx.now,
            escalate_at=ctx.now + ctx.config.alert_escalation,
        ),
    )
    await _notify(ctx, alert, await _level_one(ctx, alert, raised_by))
    await audit.record(
        ctx.session,
        action="alert_raised",
        at=ctx.now,
        actor_id=raiser,
        subject_id=student_id,
        detail=f"alert {alert.id} from {source}",
    )
    log.warning("safety alert %s raised (%s)", alert.id, source)
    return alert


async def _level_one(ctx: Context, alert: Alert, raised_by: Identity | None) -> list[int]:
    college = None
    people: list[int] = []
    if alert.student_id is not None:
        student = await ctx.session.get(Person, alert.student_id)
        college = student.college if student else None
        team = await visits.team_of(ctx.session, alert.student_id)
        if TeamRole.STUDENT_AFFAIRS in team:
            people.append(team[TeamRole.STUDENT_AFFAIRS].id or 0)
    elif raised_by is not None:
        college = raised_by.person.college
    for role in access.alert_recipient_roles():
        scope = college if role == Role.COLLEGE_ADMIN else None
        if role == Role.COLLEGE_ADMIN and college is None:
            continue
        people += await alerts.people_with_role(ctx.session, role, college=scope)
    if not people:
        people += await alerts.people_with_role(ctx.session, Role.SCHOOL_ADMIN)
    return _unique(people, exclude=alert.raised_by)


def _unique(ids: list[int], *, exclude: int | None) -> list[int]:
    return [pid for pid in dict.fromkeys(ids) if pid and pid != exclude]


async def _notify(ctx: Context, alert: Alert, people: list[int]) -> None:
    student = await ctx.session.get(Person, alert.student_id) if alert.student_id else None
    raiser = await ctx.session.get(Person, alert.raised_by) if alert.raised_by else None
    when = alert.created_at.astimezone(ctx.config.tz).strftime("%m月%d日 %H:%M")
    body = render("alert", alert=alert, student=student, raiser=raiser, when=when)
    message = Outbound(
        kind="card",
        title=render("alert_title", level=alert.level),
        text=body,
        buttons=(Button(f"alert:ack:{alert.id}", render("button_handled")),),
    )
    await send_to_people(ctx, person_ids=people, message=message, key=_key(alert, alert.level))


def _key(alert: Alert, level: int) -> str:
    """The send key of one level's messages; `send_to_people` appends the person id."""
    return f"alert:{alert.id}:level{level}"


async def _received(ctx: Context, alert: Alert, person_id: int) -> bool:
    """Whether this person was sent the alert, at any level so far."""
    for level in range(1, alert.level + 1):
        if await outbox.by_key(ctx.session, f"{_key(alert, level)}:{person_id}") is not None:
            return True
    return False


async def acknowledge(ctx: Context, who: Identity, alert_id: int) -> list[Outbound]:
    """`已处理` on an alert card: any staff member who received it may close it."""
    alert = await alerts.get(ctx.session, alert_id)
    received = alert is not None and await _received(ctx, alert, who.person_id)
    if alert is None or not access.may_acknowledge_alert(who.roles, received=received):
        return [Outbound(kind="text", text=render("no_permission"))]
    if alert.status == AlertStatus.ACKNOWLEDGED:
        by = await ctx.session.get(Person, alert.acknowledged_by) if alert.acknowledged_by else None
        return [Outbound(kind="text", text=render("alert_already_handled", by=by))]
    alert.status, alert.acknowledged_at = AlertStatus.ACKNOWLEDGED, ctx.now
    alert.acknowledged_by, alert.escalate_at = who.person_id, None
    ctx.session.add(alert)
    await audit.record(
        ctx.session,
        action="alert_acknowledged",
        at=ctx.now,
        actor_id=who.person_id,
        subject_id=alert.student_id,
        detail=f"alert {alert.id}",
    )
    return [Outbound(kind="text", text=render("alert_handled"))]


async def escalate_due(ctx: Context) -> int:
    """Move every unacknowledged alert past its deadline one level up; how many moved."""
    moved = 0
    for alert in await alerts.due_for_escalation(ctx.session, ctx.now):
        alert.level += 1
        alert.escalate_at = alerts.next_escalation(
            ctx.now, ctx.config.alert_escalation, alert.level, MAX_LEVEL
        )
        ctx.session.add(alert)
        school = await alerts.people_with_role(ctx.session, Role.SCHOOL_ADMIN)
        again = await _level_one(ctx, alert, None)
        await _notify(ctx, alert, _unique(school + again, exclude=alert.raised_by))
        moved += 1
    return moved
