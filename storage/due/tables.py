"""The tables the due evaluation reads: the team (one row per student with seats), the
rules' scopes and where each rule's contacts live."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    Table,
    and_,
    case,
    exists,
    func,
    or_,
    select,
    true,
)

from storage.due.rules import SEATS, WEEKLY_REPORT, RuleQuery
from storage.models import Assignment, Person, StudentCategory, VisitLog, WeeklyReport


def team_table(person_id: int | None) -> Select[Any]:
    """Per student with any seat (with `person_id`: any of theirs): the three seat holders,
    flags, graduation year and when the student was added (`joined`, see _joined)."""
    seat, person, category = table(Assignment), table(Person), table(StudentCategory)
    holders = [
        func.max(case((seat.c.role == role, seat.c.mentor_id))).label(role) for role in SEATS
    ]
    pivot = select(seat.c.student_id, *holders).group_by(seat.c.student_id)
    if person_id is not None:
        mine = seat.alias("mine")
        pivot = pivot.where(
            seat.c.student_id.in_(select(mine.c.student_id).where(mine.c.mentor_id == person_id))
        )
    seats = pivot.subquery("seats")
    has_category = exists().where(category.c.student_id == seats.c.student_id)
    special = or_(person.c.key_attention.is_(True), has_category)
    return select(
        seats,
        person.c.key_attention,
        person.c.graduation_year,
        special.label("special"),
        _joined(person).label("joined"),
    ).join_from(seats, person, person.c.id == seats.c.student_id)


def _joined(person: Table) -> ColumnElement[Any]:
    """When a student was added to the roster, or NULL for those in its first load.

    The first load is when the school started using CareBot, not when their care began: those
    students keep the semester's clocks. It is when the oldest person record (by id, an index
    lookup where the earliest created_at would read the whole table) was created."""
    oldest = person.alias("oldest")
    first_load = select(oldest.c.created_at).order_by(oldest.c.id).limit(1).scalar_subquery()
    return case((person.c.created_at > first_load, person.c.created_at))


def in_scope(rule: RuleQuery, team: CTE) -> list[ColumnElement[bool]]:
    scope, category = rule.scope, table(StudentCategory)
    conditions: list[ColumnElement[bool]] = [team.c[rule.remind_seat].is_not(None)]
    if scope.special_only:
        conditions.append(team.c.special.is_(True))
    if scope.key_attention_only:
        conditions.append(team.c.key_attention.is_(True))
    if scope.category is not None:
        conditions.append(
            exists().where(
                category.c.student_id == team.c.student_id,
                category.c.category_code == scope.category,
            )
        )
    if scope.graduation_year is not None:
        conditions.append(team.c.graduation_year == scope.graduation_year)
    return conditions


@dataclass(frozen=True, slots=True)
class Source:
    """Where a rule's contacts live: visit logs of some kinds, or weekly reports."""

    table: Table
    at: ColumnElement[datetime]
    wanted: ColumnElement[bool]
    in_period: ColumnElement[bool] | None  # paced rules only

    @classmethod
    def of(cls, rule: RuleQuery) -> Source:
        if rule.kinds == (WEEKLY_REPORT,):
            report = table(WeeklyReport)
            return cls(report, report.c.created_at, true(), _weeks_in(report, rule))
        log = table(VisitLog)
        at, in_period = log.c.occurred_at, None
        if rule.times is not None:
            in_period = and_(at >= rule.period_start, at < rule.period_end)
        return cls(log, at, log.c.kind.in_(rule.kinds), in_period)


def _weeks_in(report: Table, rule: RuleQuery) -> ColumnElement[bool] | None:
    """A weekly report belongs to its week: its `week_start` date, compared with the calendar
    dates of the period bounds in the time zone they were given in."""
    if rule.times is None or rule.period_start is None or rule.period_end is None:
        return None
    first, last = rule.period_start.date(), rule.period_end.date()
    return and_(report.c.week_start >= first, report.c.week_start < last)


def table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)
