"""Semester tasks, each sent at most once per person per period and only at a moment a digest
could go out (digest day, after the digest time, outside quiet hours):

- 摸排 (information survey): student-affairs teachers, once per semester during its survey
  weeks (ReminderLog "survey", day = the survey's first day);
- the ledger deadline: college admins, 7 and 1 days before it ("ledger", day = deadline − 7
  or − 1; after a long outage only the later reminder goes out);
- the 1+1+1 check: each college admin, daily, which special students of the college lack a
  team seat ("team_gaps", day = today; nothing is sent when every team is complete);
- 一生一策: each student-affairs teacher, weekly, their special students without a plan
  ("plan", day = that week's Monday).

Everyone due a task is recorded, messaged or not, so later runs skip the work.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from handlers.context import Context
from handlers.delivery import send_to_people
from handlers.envelopes import Outbound, text
from handlers.policy import calendar
from handlers.policy.load import Semester
from handlers.reminders.digest import digest_slot
from handlers.reminders.rules import policy_of
from messages.render import render
from storage.due import reminder_log as reminders
from storage.due.reminder_log import StudentCard
from storage.models import Role, TeamRole
from storage.people.roles import people_with_role

SURVEY, LEDGER, TEAM_GAPS, PLAN = "survey", "ledger", "team_gaps", "plan"
LEDGER_DAYS_BEFORE = (7, 1)


async def run_semester_tasks(ctx: Context) -> int:
    """Every task that is due now; how many messages were queued."""
    if digest_slot(ctx.now, policy_of(ctx), tz=ctx.config.tz) is None:
        return 0
    today = ctx.now.astimezone(ctx.config.tz).date()
    semester = calendar.semester_at(today, policy_of(ctx))
    sent = await _team_gaps(ctx, today) + await _plans(ctx, today)
    if semester is not None:
        sent += await _survey(ctx, semester, today) + await _ledger(ctx, semester, today)
    return sent


async def _once(
    ctx: Context, person_id: int, *, kind: str, day: date, message: Outbound | None, items: int
) -> int:
    """Record the task for this person and day, then queue `message` (if any) the first time."""
    first = await reminders.claim(
        ctx.session, person_id=person_id, kind=kind, day=day, items=items, now=ctx.now
    )
    if not first or message is None:
        return 0
    key = f"{kind}:{day.isoformat()}"
    return await send_to_people(ctx, person_ids=[person_id], message=message, key=key)


async def _pending(ctx: Context, people: list[int], *, kind: str, day: date) -> list[int]:
    done = await reminders.logged(ctx.session, kind=kind, day=day)
    return [person for person in people if person not in done]


async def _survey(ctx: Context, semester: Semester, today: date) -> int:
    survey = semester.survey_weeks
    if today not in survey:
        return 0
    teachers = await _student_affairs_teachers(ctx)
    pending = await _pending(ctx, teachers, kind=SURVEY, day=survey.start)
    message = text(render("remind_survey", semester=semester, survey=survey))
    sent = 0
    for person in pending:
        sent += await _once(ctx, person, kind=SURVEY, day=survey.start, message=message, items=1)
    return sent


async def _student_affairs_teachers(ctx: Context) -> list[int]:
    seated = await reminders.seat_holders(ctx.session, TeamRole.STUDENT_AFFAIRS)
    counsellors = await people_with_role(ctx.session, Role.COUNSELLOR)
    class_teachers = await people_with_role(ctx.session, Role.CLASS_TEACHER)
    return sorted({*seated, *counsellors, *class_teachers})


def ledger_mark(today: date, deadline: date) -> date | None:
    """The latest ledger reminder day that has come (deadline − 7, then − 1), until the
    deadline itself; None outside that window."""
    if today > deadline:
        return None
    marks = [deadline - timedelta(days=n) for n in LEDGER_DAYS_BEFORE]
    passed = [mark for mark in marks if mark <= today]
    return max(passed) if passed else None


async def _ledger(ctx: Context, semester: Semester, today: date) -> int:
    mark = ledger_mark(today, semester.ledger_deadline)
    if mark is None:
        return 0
    admins = await reminders.admins_by_college(ctx.session)
    pending = await _pending(ctx, sorted(admins), kind=LEDGER, day=mark)
    left = (semester.ledger_deadline - today).days
    sent = 0
    for admin in pending:
        message = text(
            render("remind_ledger", semester=semester, college=admins[admin], days_left=left)
        )
        sent += await _once(ctx, admin, kind=LEDGER, day=mark, message=message, items=1)
    return sent


async def _team_gaps(ctx: Context, today: date) -> int:
    admins = await reminders.admins_by_college(ctx.session)
    pending = await _pending(ctx, sorted(admins), kind=TEAM_GAPS, day=today)
    if not pending:
        return 0
    gaps = await incomplete_teams(ctx)
    sent = 0
    for admin in pending:
        rows = [row for row in gaps if row["college"] == admins[admin]]
        message = text(render("remind_team_gaps", rows=rows)) if rows else None
        sent += await _once(ctx, admin, kind=TEAM_GAPS, day=today, message=message, items=len(rows))
    return sent


async def incomplete_teams(ctx: Context) -> list[dict[str, Any]]:
    """Special students missing a seat of their 1+1+1 team, with the seats' names."""
    students = await reminders.special_students(ctx.session)
    seats = await reminders.seats_by_student(ctx.session, [s.id for s in students])
    rows = []
    for student in students:
        missing = [seat for seat in TeamRole if seat not in seats.get(student.id, {})]
        if missing:
            labels = [render(f"seat_{seat}") for seat in missing]
            rows.append({**_card(student), "college": student.college, "missing": labels})
    return rows


async def _plans(ctx: Context, today: date) -> int:
    monday = today - timedelta(days=today.weekday())
    teachers = await reminders.seat_holders(ctx.session, TeamRole.STUDENT_AFFAIRS)
    pending = await _pending(ctx, teachers, kind=PLAN, day=monday)
    if not pending:
        return 0
    unplanned = await students_without_plan(ctx)
    sent = 0
    for teacher in pending:
        mine = [_card(student) for student in unplanned.get(teacher, [])]
        message = text(render("remind_plan", students=mine)) if mine else None
        sent += await _once(ctx, teacher, kind=PLAN, day=monday, message=message, items=len(mine))
    return sent


async def students_without_plan(ctx: Context) -> dict[int, list[StudentCard]]:
    """Student-affairs teacher → their special students whose case file has no plan."""
    students = await reminders.special_students(ctx.session)
    ids = [student.id for student in students]
    seats = await reminders.seats_by_student(ctx.session, ids)
    planned = await reminders.planned_students(ctx.session, ids)
    found: dict[int, list[StudentCard]] = defaultdict(list)
    for student in students:
        teacher = seats.get(student.id, {}).get(TeamRole.STUDENT_AFFAIRS)
        if teacher is not None and student.id not in planned:
            found[teacher].append(student)
    return found


def _card(student: StudentCard) -> dict[str, Any]:
    return {"name": student.name, "class_name": student.class_name}
