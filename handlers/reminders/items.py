"""What is due for whom: the policy's plans evaluated set-wise, grouped per reminded person,
sorted by risk and marked with the escalation ladder.

Overdue days count local calendar days (a talk due yesterday afternoon is 1 day overdue this
morning), so they agree with what a teacher reads on the wall calendar.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Context
from handlers.policy.load import Escalation
from handlers.reminders.rules import Plan, plans_at, policy_of
from storage.due import reminder_log as reminders
from storage.due.evaluate import DueItem, due_items
from storage.due.reminder_log import StudentCard


@dataclass(frozen=True, slots=True)
class Reminder:
    """One due or overdue (student, rule) for the person reminded."""

    person_id: int
    rule_id: str
    title: str
    period: str | None
    kind: str
    student: StudentCard
    key_attention: bool
    sensitive: bool
    due_at: datetime
    overdue_days: int
    """0: due today (or earlier today); negative: due later, by `deadline`."""
    deadline: date
    """The last local day to do it."""
    nudge: bool
    """Overdue long enough for a second nudge (shown with a marker in the digest)."""
    escalated: bool
    """Overdue long enough for the college admin's weekly summary."""


Board = dict[int, list[Reminder]]
CARDS_PER_QUERY = 10_000


async def due_for(
    ctx: Context, person_id: int | None = None, *, as_of: datetime | None = None
) -> Board:
    """Person → their reminders, most urgent first (key attention, then most overdue); with
    `person_id`, only that person's (evaluated for their students alone).

    `as_of` (default now) fixes what counts as due: a digest sent late still shows what was
    due at the digest time, while contacts recorded since then (up to now) already count.

    Evaluated through `ctx.read`: a school-wide board takes seconds at 100k students (the
    statement, the cards and building the reminders), which must not hold the event loop."""

    async def board(session: AsyncSession) -> Board:
        return await _board(ctx, session, person_id, as_of=as_of)

    return await ctx.read(board)


async def _board(
    ctx: Context, session: AsyncSession, person_id: int | None, *, as_of: datetime | None
) -> Board:
    policy, tz = policy_of(ctx), ctx.config.tz
    plans = plans_at(policy, at=as_of or ctx.now, tz=tz)
    # One statement for every rule, looking as far ahead as the furthest plan; each item is
    # then kept only within its own plan's horizon.
    by_rule = {plan.query.rule_id: plan for plan in plans}
    ahead = max((plan.horizon - ctx.now for plan in plans), default=timedelta(0))
    items = await due_items(
        session,
        [plan.query for plan in plans],
        now=ctx.now,
        upcoming=max(ahead, timedelta(0)),
        person_id=person_id,
    )
    found: list[tuple[Plan, DueItem]] = [
        (by_rule[i.rule_id], i) for i in items if i.due_at <= by_rule[i.rule_id].horizon
    ]
    cards = await _cards(session, {item.student_id for _, item in found})
    board: Board = defaultdict(list)
    for plan, item in found:
        if item.student_id in cards:
            board[item.person_id].append(_reminder(ctx, plan, item, cards[item.student_id]))
    return {person: sorted(items, key=risk_order) for person, items in board.items()}


async def _cards(session: AsyncSession, ids: set[int]) -> dict[int, StudentCard]:
    """The cards in chunks: asyncpg takes at most 32767 parameters per statement."""
    ordered, cards = sorted(ids), {}
    for start in range(0, len(ordered), CARDS_PER_QUERY):
        chunk = ordered[start : start + CARDS_PER_QUERY]
        cards.update(await reminders.student_cards(session, chunk))
    return cards


def risk_order(reminder: Reminder) -> tuple[bool, datetime, str, str]:
    return (not reminder.key_attention, reminder.due_at, reminder.student.name, reminder.rule_id)


def _reminder(ctx: Context, plan: Plan, item: DueItem, student: StudentCard) -> Reminder:
    tz, ladder = ctx.config.tz, policy_of(ctx).escalation
    today = ctx.now.astimezone(tz).date()
    due_day = item.due_at.astimezone(tz).date()
    deadline = (item.due_at - timedelta(microseconds=1)).astimezone(tz).date()
    overdue = (today - due_day).days if due_day <= today else (today - deadline).days
    return Reminder(
        person_id=item.person_id,
        rule_id=item.rule_id,
        title=plan.title,
        period=plan.period,
        kind=plan.kind,
        student=student,
        key_attention=item.key_attention,
        sensitive=plan.sensitive,
        due_at=item.due_at,
        overdue_days=overdue,
        deadline=max(deadline, today),
        nudge=_at_least(ladder, overdue, item.key_attention, summary=False),
        escalated=_at_least(ladder, overdue, item.key_attention, summary=True),
    )


def _at_least(ladder: Escalation, overdue: int, key_attention: bool, *, summary: bool) -> bool:
    if summary:
        return overdue >= ladder.admin_summary_days(key_attention=key_attention)
    return overdue >= ladder.nudge_days(key_attention=key_attention)
