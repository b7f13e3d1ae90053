"""The admins' weekly summary: what has slipped past the escalation ladder's second rung
(overdue ≥ admin_summary_after_days, shorter for key attention).

A college admin gets their college's, per responsible teacher: a teacher, how many items, and
which students (name and class). A school admin gets every college's, as a table per college
(items, students, teachers: counts only). It goes out on the week's first digest day at the
digest time, or at the first later moment the digest could (ReminderLog kind "admin_summary"
or "school_summary", day = that week's Monday: once a week). An admin with nothing overdue in
their summary is recorded and not messaged.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from handlers.context import Context
from handlers.delivery import send_to_people
from handlers.envelopes import Outbound, text
from handlers.reminders.digest import digest_slot
from handlers.reminders.items import Board, Reminder, due_for
from handlers.reminders.rules import policy_of
from messages.render import render
from storage.due import reminder_log as reminders
from storage.models import Role
from storage.people.roles import people_with_role

SUMMARY = "admin_summary"
SCHOOL_SUMMARY = "school_summary"


async def run_admin_summaries(ctx: Context) -> int:
    """Send this week's summary to every college and school admin who has not had it; how
    many were sent."""
    slot = digest_slot(ctx.now, policy_of(ctx), tz=ctx.config.tz)
    if slot is None:
        return 0
    monday = _monday(ctx.now.astimezone(ctx.config.tz).date())
    admins = await reminders.admins_by_college(ctx.session)
    done = await reminders.logged(ctx.session, kind=SUMMARY, day=monday)
    pending = {admin: college for admin, college in admins.items() if admin not in done}
    school = await people_with_role(ctx.session, Role.SCHOOL_ADMIN)
    done_school = await reminders.logged(ctx.session, kind=SCHOOL_SUMMARY, day=monday)
    school = [admin for admin in school if admin not in done_school]
    if not pending and not school:
        return 0
    overdue = _escalated(await due_for(ctx, as_of=slot))
    sent = 0
    for admin_id, college in sorted(pending.items()):
        items = [item for item in overdue if item.student.college == college]
        message = await summary_message(ctx, college, items) if items else None
        sent += await _send(ctx, admin_id, message, kind=SUMMARY, monday=monday, items=len(items))
    message = school_message(ctx, overdue) if overdue else None
    for admin_id in school:
        sent += await _send(
            ctx, admin_id, message, kind=SCHOOL_SUMMARY, monday=monday, items=len(overdue)
        )
    return sent


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _escalated(board: Board) -> list[Reminder]:
    return [item for items in board.values() for item in items if item.escalated]


async def _send(
    ctx: Context, admin_id: int, message: Outbound | None, *, kind: str, monday: date, items: int
) -> int:
    """Record the week's summary of `kind` for the admin, then queue `message` (if any) the
    first time."""
    first = await reminders.claim(
        ctx.session, person_id=admin_id, kind=kind, day=monday, items=items, now=ctx.now
    )
    if not first or message is None:
        return 0
    key = f"{kind}:{monday.isoformat()}"
    return await send_to_people(ctx, person_ids=[admin_id], message=message, key=key)


async def summary_message(ctx: Context, college: str, items: list[Reminder]) -> Outbound:
    teachers = await reminders.names(ctx.session, sorted({item.person_id for item in items}))
    ladder = policy_of(ctx).escalation
    return text(
        render(
            "remind_summary",
            college=college,
            rows=summary_rows(items, teachers),
            days=ladder.admin_summary_after_days,
            key_days=ladder.key_attention_admin_summary_after_days,
        )
    )


def summary_rows(items: list[Reminder], teachers: dict[int, str]) -> list[dict[str, Any]]:
    """Per teacher (most items first): the count and the students, each named once."""
    by_teacher: dict[int, list[Reminder]] = defaultdict(list)
    for item in items:
        by_teacher[item.person_id].append(item)
    rows = []
    for person_id, mine in sorted(by_teacher.items(), key=lambda pair: -len(pair[1])):
        students = {item.student.id: item.student for item in mine}
        rows.append(
            {
                "teacher": teachers.get(person_id, ""),
                "count": len(mine),
                "students": [
                    {"name": s.name, "class_name": s.class_name} for s in students.values()
                ],
            }
        )
    return rows


def school_message(ctx: Context, items: list[Reminder]) -> Outbound:
    ladder = policy_of(ctx).escalation
    rows = college_rows(items)
    total = {
        "count": len(items),
        "students": len({item.student.id for item in items}),
        "teachers": len({item.person_id for item in items}),
    }
    return text(
        render(
            "remind_summary_school",
            rows=rows,
            total=total,
            days=ladder.admin_summary_after_days,
            key_days=ladder.key_attention_admin_summary_after_days,
        )
    )


def college_rows(items: list[Reminder]) -> list[dict[str, Any]]:
    """Per college (most items first, then by name; no college last): items, students and
    teachers, each counted once."""
    by_college: dict[str, list[Reminder]] = defaultdict(list)
    for item in items:
        by_college[item.student.college or ""].append(item)
    ordered = sorted(by_college.items(), key=lambda pair: (not pair[0], -len(pair[1]), pair[0]))
    return [
        {
            "college": college or None,
            "count": len(mine),
            "students": len({item.student.id for item in mine}),
            "teachers": len({item.person_id for item in mine}),
        }
        for college, mine in ordered
    ]
