"""Each rule's arithmetic for one evaluation: what its SQL filters on, and turning its rows
into DueItems.

A paced rule (K contacts per period of length L from `start`) makes the i-th contact due at
start + i × L / K. Every rule's clock starts for a student no earlier than the remind seat was
taken and the student entered the rule's scope (storage/due/tables.py's clock_start): the
moments that passed before are `waived`, and the student's next contact is the
(done + waived + 1)-th. A rolling rule's clock runs from the last contact (else `since`), or
from the clock start when that is later.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.due.rules import DueItem, RuleQuery

Moment = Callable[[Any], datetime]
"""Turns a datetime as the driver returned it into an aware UTC datetime."""

Found = tuple[int, int, int, Any, Any, int, int, Any]
"""A raw row: active rule index, student, remind-seat holder, key attention, last contact,
contacts in period, moments waived, clock start (rolling; None when none is known)."""


@dataclass(frozen=True, slots=True)
class Active:
    """A rule that may have items by the cutoff."""

    index: int
    rule: RuleQuery
    every: timedelta | None = None  # rolling
    since: datetime | None = None  # rolling: the clock start of the never contacted
    latest: datetime | None = None  # rolling: a clock start at or before this is due
    required: int = 0  # paced: contacts due by the cutoff
    dues: tuple[datetime, ...] = ()  # paced: when the 1st, 2nd … K-th contact is due

    @property
    def thresholds(self) -> tuple[datetime, ...]:
        """Paced: the due moments up to the cutoff; those at or before a student's clock start
        are waived for them."""
        return self.dues[: self.required]

    def item(self, row: Found, moment: Moment) -> DueItem:
        _, student, person, key, last, done, waived, started = row
        last_at = None if last is None else moment(last)
        rule_id = self.rule.rule_id
        if self.every is not None:
            start = last_at or self.since
            assert start is not None
            if started is not None:
                start = max(start, moment(started))
            return DueItem(rule_id, student, person, start + self.every, last_at, 0, bool(key))
        return DueItem(rule_id, student, person, self.dues[done + waived], last_at, done, bool(key))


def plan(rules: Sequence[RuleQuery], *, now: datetime, cutoff: datetime) -> list[Active]:
    """The rules that may have items due by `cutoff`, numbered in the order given."""
    active: list[Active] = []
    for rule in rules:
        index = len(active)
        if rule.every_days is not None:
            every = timedelta(days=rule.every_days)
            since = (rule.since or now - every).astimezone(UTC)
            active.append(Active(index, rule, every, since, latest=cutoff - every))
        elif (required := _required(rule, cutoff)) > 0:
            active.append(Active(index, rule, required=required, dues=_dues(rule)))
    return active


def _required(rule: RuleQuery, cutoff: datetime) -> int:
    start, end, times = _period(rule)
    return min(times, (cutoff - start) * times // (end - start))


def _dues(rule: RuleQuery) -> tuple[datetime, ...]:
    start, end, times = _period(rule)
    return tuple(start + (end - start) * (i + 1) / times for i in range(times))


def _period(rule: RuleQuery) -> tuple[datetime, datetime, int]:
    assert rule.period_start and rule.period_end and rule.times, "checked in RuleQuery"
    return rule.period_start.astimezone(UTC), rule.period_end.astimezone(UTC), rule.times
