"""The college admin's weekly summary: what has slipped past the escalation ladder's second
rung (overdue ≥ admin_summary_after_days, shorter for key attention), per responsible teacher.

Names and counts only: a teacher, how many items, and which students (name and class). It
goes out on the week's first digest day at the digest time, or at the first later moment the
digest could (ReminderLog kind "admin_summary", day = that week's Monday: once a week). An
admin whose college has nothing overdue is recorded and not messaged.
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

SUMMARY = "admin_summary"


async def run_admin_summaries(ctx: Context) -> int:
    """Send this week's summary to every college admin who has not had it; how many sent."""
    slot = digest_slot(ctx.now, policy_of(ctx), tz=ctx.config.tz)
    if slot is None:
        return 0
    monday = _monday(ctx.now.astimezone(ctx.config.tz).date())
    admins = await reminders.admins_by_college(ctx.session)
    done = await reminders.logged(ctx.session, kind=SUMMARY, day=monday)
    pending = {admin: college for admin, college in admins.items() if admin not in done}
    if not pending:
        return 0
    overdue = _escalated(await due_for(ctx, as_of=slot))
    sent = 0
    for admin_id, college in sorted(pending.items()):
        items = [item for item in overdue if item.student.college == college]
        sent += await _send(ctx, admin_id, college, items, monday=monday)
    return sent


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _escalated(board: Board) -> list[Reminder]:
    return [item for items in board.values() for item in items if item.escalated]


async def _send(
    ctx: Context, admin_id: int, college: str, items: list[Reminder], *, monday: date
) -> int:
    first = await reminders.claim(
        ctx.session, person_id=admin_id, kind=SUMMARY, day=monday, items=len(items), now=ctx.now
    )
    if not first or not items:
        return 0
    message = await summary_message(ctx, college, items)
    key = f"{SUMMARY}:{monday.isoformat()}"
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
