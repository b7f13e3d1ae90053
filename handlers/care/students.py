"""A mentor's students: 我的学生 (list and what is due), 查看 (a file, by role), 撤销 (undo)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.access.rules import View
from handlers.care.visit_form import UNDO_MINUTES, student_choice
from handlers.context import Context
from handlers.conversation.answers import normalise
from handlers.envelopes import Inbound, Outbound
from handlers.reminders.items import due_for
from handlers.reminders.rules import policy_of, talk_every_days
from messages.render import render
from storage import audit
from storage.care import visits
from storage.models import Person, VisitLog

_NO_SEATS: frozenset[str] = frozenset()
_NAME_PART = re.compile(r"[ (]")  # 张三(计科2301) and 张三 计科2301 name 张三 (after normalise)


def _text(key: str, **context: object) -> list[Outbound]:
    return [Outbound(kind="text", text=render(key, **context))]


async def my_students(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """My students, their last contact, and 该联系了 where `待办` has something due for them
    today or overdue: the same evaluation of the same policy, so the two never disagree."""
    mine = await visits.assigned_students(ctx.session, who.person_id)
    if not mine:
        return _text("my_students_none")
    ids = [person.id or 0 for person, _ in mine]
    last = await visits.last_contacts(ctx.session, ids)
    due = await _due_students(ctx, who.person_id)
    rows = []
    for index, (person, seat) in enumerate(mine, start=1):
        contact = last.get(person.id or 0)
        days = _days_since(ctx, contact) if contact else None
        rows.append(
            {
                "n": index,
                "label": student_choice(person).label,
                "dorm": person.dorm,
                "seat": render(f"seat_{seat}"),
                "days": days,
                "due": person.id in due,
                "key": person.key_attention and not access.is_peer_only(who.roles),
            }
        )
    return _text("my_students", rows=rows, every=talk_every_days(policy_of(ctx)))


async def _due_students(ctx: Context, person_id: int) -> set[int]:
    """The students with something due for me now (not only later, by a deadline)."""
    board = await due_for(ctx, person_id)
    return {item.student.id for item in board.get(person_id, []) if item.overdue_days >= 0}


def _days_since(ctx: Context, moment: datetime) -> int:
    """Calendar days in local time: yesterday afternoon is 1 day ago, not "today"."""
    tz = ctx.config.tz
    return (ctx.now.astimezone(tz).date() - moment.astimezone(tz).date()).days


async def view_student(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    token = args.strip()
    if not token:
        return _text("view_usage")
    found = await find_student(ctx, who, token)
    if isinstance(found, list):
        return found
    student, view = found
    await audit.record(
        ctx.session,
        action=f"view_student_{view}",
        at=ctx.now,
        actor_id=who.person_id,
        subject_id=student.id,
    )
    if view == View.BASIC:
        mine = await visits.latest_logs(ctx.session, student.id or 0, author_id=who.person_id)
        return _text("view_basic", student=student, logs=_logs(ctx, mine))
    return await _full_view(ctx, student)


async def _full_view(ctx: Context, student: Person) -> list[Outbound]:
    sid = student.id or 0
    case = await visits.case_file(ctx.session, sid)
    team = await visits.team_of(ctx.session, sid)
    return _text(
        "view_full",
        student=student,
        categories=await visits.category_names(ctx.session, sid),
        team={role: person.name for role, person in team.items()},
        plan=case.plan if case else None,
        logs=_logs(ctx, await visits.latest_logs(ctx.session, sid)),
    )


def _logs(ctx: Context, rows: list[tuple[VisitLog, str]]) -> list[dict[str, object]]:
    result = []
    for log, author in rows:
        local = log.occurred_at.astimezone(ctx.config.tz)
        result.append({"log": log, "author": author, "when": local.strftime("%m-%d %H:%M")})
    return result


async def find_student(
    ctx: Context, who: Identity, token: str, *, outside: str = "student_not_in_scope"
) -> tuple[Person, View] | list[Outbound]:
    """The one student named by `token` that the viewer may see, with how much, or the reply.

    Students outside the viewer's scope are never named, counted or told apart from students
    who do not exist: the refusal (template `outside`) is the same either way (an attempt on a
    real one is audited).
    """
    named = await _named(ctx, who, token)
    visible = [(p, view) for p, seats in named if (view := _view(who, p, seats)) is not None]
    if len(visible) == 1:
        return visible[0]
    labels = [student_choice(person).label for person, _ in visible]
    if len(set(labels)) > 1:
        return _text("student_ambiguous", names=labels)
    if visible:
        return _text("student_ambiguous_code")  # same name, same class: only 学号 tells them apart
    for person, _ in named:
        await _audit_denied(ctx, who, person)
    if _sees_everyone(who):
        return _text("student_not_found", token=token)
    return _text(outside, token=token)


async def _named(ctx: Context, who: Identity, token: str) -> list[tuple[Person, frozenset[str]]]:
    """Every student `token` names, the viewer's own first, with the viewer's seats in each."""
    key = normalise(token)
    assigned = await visits.assigned_students(ctx.session, who.person_id)
    mine = [(person, frozenset({seat})) for person, seat in assigned]
    own = {person.id for person, _ in mine}
    others = await visits.students_named(ctx.session, _NAME_PART.split(key, maxsplit=1)[0])
    pool = [*mine, *((person, _NO_SEATS) for person in others if person.id not in own)]
    return [(person, seats) for person, seats in pool if key in _names_of(person)]


def _view(who: Identity, student: Person, seats: frozenset[str]) -> View | None:
    # A college admin whose college is not on file has no college, not "the empty one".
    same = bool(who.person.college) and student.college == who.person.college
    return access.student_view(who.roles, seats=seats, same_college=same)


def _sees_everyone(who: Identity) -> bool:
    """Whether "not found" can only mean "no such student" for this viewer."""
    return access.student_view(who.roles, seats=_NO_SEATS, same_college=False) is not None


async def _audit_denied(ctx: Context, who: Identity, student: Person) -> None:
    await audit.record(
        ctx.session,
        action="denied_view_student",
        at=ctx.now,
        actor_id=who.person_id,
        subject_id=student.id,
    )


def _names_of(student: Person) -> set[str]:
    """How a viewer may name a student: name, 学号, the listed label, or name and class."""
    label, spaced = student_choice(student).label, f"{student.name} {student.class_name or ''}"
    return {normalise(name) for name in (student.name, student.code, label, spaced)}


async def undo(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    """Delete the person's own last log, if it was saved in the last ten minutes."""
    last = await visits.last_log_by(ctx.session, who.person_id)
    if last is None or ctx.now - last.created_at > timedelta(minutes=UNDO_MINUTES):
        return _text("undo_nothing", minutes=UNDO_MINUTES)
    student = await ctx.session.get(Person, last.student_id)
    await visits.delete_log(ctx.session, last)
    await audit.record(
        ctx.session,
        action="visit_log_undone",
        at=ctx.now,
        actor_id=who.person_id,
        subject_id=last.student_id,
    )
    return _text("undo_done", student=student.name if student else "", kind=last.kind)
