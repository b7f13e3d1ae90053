"""Risk escalation: crisis words and risky visit logs alert the responsible people at once.

Level 1 goes to the student's student-affairs teacher, the college admins and the
psychological centre; an alert nobody acknowledges in time goes to the school admins (level 2).
A further crisis message about the same student while the alert is open is a follow-up:
stored with the alert and sent at once, marked 新消息, to everyone the alert went to and to
whoever level 1 is for its writer. Alerts go 1:1, never to group chats; who was sent an alert
is stored, and only they may mark it handled.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.context import Context
from handlers.delivery import send_to_people
from handlers.envelopes import Outbound
from handlers.safety import alert_cards
from messages.render import render
from storage import audit
from storage.care import visits
from storage.models import Alert, AlertMessage, AlertStatus, Person, Role, TeamRole
from storage.people.roles import people_with_role
from storage.safety import alerts

log = logging.getLogger(__name__)

MAX_LEVEL = 2
MAX_TEXT = 500
FOLLOW_UP_WINDOW = timedelta(hours=1)
"""A crisis message joins an open alert raised this recently instead of opening a new one."""
REPEAT_WINDOW = timedelta(minutes=5)
"""The very same text from the same person within this is a double send, folded; anything
else (a new text, or the same text later) goes out again at once."""


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
    context_id: int | None = None,
) -> Alert:
    """Create an alert and notify level 1; about an alert already open this hour, send the
    text as its follow-up instead. `context_id`: a student the writer's message may concern
    (shown, and their student-affairs teacher told), when the writer is not the subject."""
    raiser = raised_by.person_id if raised_by else None
    since = ctx.now - FOLLOW_UP_WINDOW
    existing = await alerts.recent_open(
        ctx.session, student_id=student_id, raised_by=raiser, since=since
    )
    text = detail[:MAX_TEXT]
    if existing is None:
        alert = Alert(
            student_id=student_id,
            raised_by=raiser,
            source=source,
            detail=text,
            context_id=context_id,
            created_at=ctx.now,
            escalate_at=ctx.now + ctx.config.alert_escalation,
        )
        return await _open(ctx, alert, raised_by)
    note = AlertMessage(
        alert_id=existing.id or 0,
        author_id=raiser,
        source=source,
        text=text,
        context_id=context_id,
        created_at=ctx.now,
    )
    await _follow_up(ctx, existing, note, raised_by)
    return existing


async def _open(ctx: Context, alert: Alert, raised_by: Identity | None) -> Alert:
    alert = await alerts.add(ctx.session, alert)
    writer = raised_by.person if raised_by else None
    people = await _level_one(
        ctx, student_id=alert.student_id, writer=writer, context_id=alert.context_id
    )
    people = _unique(people, exclude=alert.raised_by)
    await _send(ctx, alert, people, card=await alert_cards.alert_card(ctx, alert), key=_key(alert))
    await audit.record(
        ctx.session,
        action="alert_raised",
        at=ctx.now,
        actor_id=alert.raised_by,
        subject_id=alert.student_id,
        detail=f"alert {alert.id} from {alert.source}",
    )
    log.warning("safety alert %s raised (%s)", alert.id, alert.source)
    return alert


async def _follow_up(
    ctx: Context, alert: Alert, note: AlertMessage, raised_by: Identity | None
) -> None:
    """Store a further message and send it at once to the alert's people and the writer's."""
    if await _is_repeat(ctx, alert, note):
        log.info("safety alert %s: the same message again, folded", alert.id)
        return
    note = await alerts.add_message(ctx.session, note)
    writer = raised_by.person if raised_by else None
    fresh = await _level_one(
        ctx, student_id=alert.student_id, writer=writer, context_id=note.context_id
    )
    sent = await alerts.recipients(ctx.session, alert.id or 0)
    people = _unique([*sent, *fresh], exclude=note.author_id)
    card = await alert_cards.follow_up_card(ctx, alert, note)
    await _send(ctx, alert, people, card=card, key=f"alert:{alert.id}:message{note.id}")
    await audit.record(
        ctx.session,
        action="alert_follow_up",
        at=ctx.now,
        actor_id=note.author_id,
        subject_id=alert.student_id,
        detail=f"alert {alert.id} message {note.id} from {note.source}",
    )
    log.warning("safety alert %s: new message %s (%s)", alert.id, note.id, note.source)


async def _is_repeat(ctx: Context, alert: Alert, note: AlertMessage) -> bool:
    """Whether the writer sent this very text to this alert within REPEAT_WINDOW."""
    since = ctx.now - REPEAT_WINDOW
    earlier = [(alert.raised_by, alert.detail or "", alert.created_at)] + [
        (m.author_id, m.text, m.created_at)
        for m in await alerts.messages_of(ctx.session, alert.id or 0, since=since)
    ]
    return any(
        author == note.author_id and _same(text, note.text) and at >= since
        for author, text, at in earlier
    )


def _same(first: str, second: str) -> bool:
    return "".join(first.split()) == "".join(second.split())


async def _level_one(
    ctx: Context, *, student_id: int | None, writer: Person | None, context_id: int | None
) -> list[int]:
    """The student's (and the context student's) student-affairs teacher, the college admins
    and the psychological centre; the school admins when there is none of them."""
    people = await _student_affairs(ctx, student_id) + await _student_affairs(ctx, context_id)
    student = await ctx.session.get(Person, student_id) if student_id is not None else None
    holder = student or writer
    college = holder.college if holder is not None else None
    for role in access.alert_recipient_roles():
        if role != Role.COLLEGE_ADMIN:
            people += await people_with_role(ctx.session, role)
        elif college is not None:
            people += await people_with_role(ctx.session, role, college=college)
    if not _unique(people, exclude=writer.id if writer else None):
        people += await people_with_role(ctx.session, Role.SCHOOL_ADMIN)
    return people


async def _student_affairs(ctx: Context, student_id: int | None) -> list[int]:
    if student_id is None:
        return []
    teacher = (await visits.team_of(ctx.session, student_id)).get(TeamRole.STUDENT_AFFAIRS)
    return [teacher.id] if teacher is not None and teacher.id is not None else []


def _unique(ids: list[int], *, exclude: int | None) -> list[int]:
    return [pid for pid in dict.fromkeys(ids) if pid and pid != exclude]


async def _send(ctx: Context, alert: Alert, people: list[int], *, card: Outbound, key: str) -> None:
    """Queue the card for these people and remember them as the alert's recipients."""
    await alerts.add_recipients(
        ctx.session, alert_id=alert.id or 0, person_ids=people, level=alert.level
    )
    await send_to_people(ctx, person_ids=people, message=card, key=key)


def _key(alert: Alert) -> str:
    """The send key of one level's cards; `send_to_people` appends the person id."""
    return f"alert:{alert.id}:level{alert.level}"


async def acknowledge(ctx: Context, who: Identity, alert_id: int) -> list[Outbound]:
    """`已处理` on an alert card: any staff member it was sent to may close it."""
    alert = await alerts.get(ctx.session, alert_id)
    received = alert is not None and await alerts.is_recipient(
        ctx.session, alert_id=alert_id, person_id=who.person_id
    )
    if alert is None or not access.may_acknowledge_alert(who.roles, received=received):
        await audit.record(
            ctx.session,
            action="denied_alert_ack",
            at=ctx.now,
            actor_id=who.person_id,
            subject_id=alert.student_id if alert else None,
            detail=f"alert {alert_id}",
        )
        return [Outbound(kind="text", text=render("alert_not_yours"))]
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
        await _escalate(ctx, alert)
        moved += 1
    return moved


async def _escalate(ctx: Context, alert: Alert) -> None:
    """The school admins, everyone sent it so far and level 1 again get the escalated card."""
    school = await people_with_role(ctx.session, Role.SCHOOL_ADMIN)
    raiser = await ctx.session.get(Person, alert.raised_by) if alert.raised_by else None
    again = await _level_one(
        ctx, student_id=alert.student_id, writer=raiser, context_id=alert.context_id
    )
    sent = await alerts.recipients(ctx.session, alert.id or 0)
    people = _unique([*school, *sent, *again], exclude=alert.raised_by)
    await _send(ctx, alert, people, card=await alert_cards.alert_card(ctx, alert), key=_key(alert))
