"""What the due evaluation is asked (RuleQuery, Scope) and what it answers (DueItem)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from storage.models import TeamRole

WEEKLY_REPORT = "周报"
"""The kind that makes WeeklyReport rows, not visit logs, satisfy a rule."""

SEATS: tuple[str, ...] = tuple(TeamRole)


class RuleQueryError(ValueError):
    """A rule cannot be evaluated as given (a bug in the caller's translation of the policy)."""


@dataclass(frozen=True, slots=True)
class Scope:
    """Which students a rule covers; every condition given must hold."""

    special_only: bool = True  # at least one category, or key attention
    key_attention_only: bool = False
    category: str | None = None  # a category code
    graduation_year: int | None = None
    academic_warning: tuple[str, ...] | None = None  # open in one of these semesters


@dataclass(frozen=True, slots=True)
class RuleQuery:
    """One cadence rule in storage terms: rolling (`every_days`) or paced (`times` per period).

    `counted_seats`: only contacts by the current holders of these seats count (None: anyone's).
    `kinds`: VisitLog kinds, or just (WEEKLY_REPORT,) to count weekly reports by their week.
    `since`: rolling rules start a never-contacted student's clock here (default: now - every).
    Every clock starts no earlier than the remind seat's holder took it and the student entered
    the rule's scope (storage/due/tables.py's clock_start).
    `counted_until`: paced rules count contacts from `period_start` until this moment (default
    `period_end`): a key period carried past its end is fulfilled by a late contact."""

    rule_id: str
    remind_seat: str
    counted_seats: tuple[str, ...] | None
    kinds: tuple[str, ...]
    scope: Scope
    every_days: int | None = None
    times: int | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    since: datetime | None = None
    counted_until: datetime | None = None

    def __post_init__(self) -> None:
        for problem in _problems(self):
            raise RuleQueryError(f"{self.rule_id}: {problem}")


class DueItem(NamedTuple):
    """One (rule, student) due or overdue for the holder of the rule's remind seat.

    A named tuple: evaluations return a hundred thousand of these, and a tuple is the cheapest
    immutable record to build."""

    rule_id: str
    student_id: int
    person_id: int  # who holds the remind seat
    due_at: datetime  # aware UTC
    last_at: datetime | None  # the last satisfying contact at or before now
    done: int  # satisfying contacts in the period so far (paced rules), else 0
    key_attention: bool


def _problems(rule: RuleQuery) -> Iterator[str]:
    if rule.remind_seat not in SEATS:
        yield f"unknown remind seat {rule.remind_seat!r}"
    if rule.counted_seats is not None and not (set(rule.counted_seats) or {""}) <= set(SEATS):
        yield "counted seats must be team seats, or None"
    if not rule.kinds or (WEEKLY_REPORT in rule.kinds and len(rule.kinds) > 1):
        yield f"kinds must be visit kinds or just {WEEKLY_REPORT}"
    if (rule.every_days is None) == (rule.times is None):
        yield "give either every_days or times"
    if any(count is not None and count <= 0 for count in (rule.every_days, rule.times)):
        yield "a cadence must be positive"
    moments = (rule.period_start, rule.period_end, rule.since, rule.counted_until)
    if any(moment is not None and moment.utcoffset() is None for moment in moments):
        yield "datetimes must be aware"
    elif rule.times is not None and not (
        rule.period_start and rule.period_end and rule.period_start < rule.period_end
    ):
        yield "times needs a period that ends after it starts"
    elif rule.counted_until is not None and (
        rule.period_end is None or rule.counted_until < rule.period_end
    ):
        yield "counted_until needs a period that ends at or before it"
