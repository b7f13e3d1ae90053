"""The tables the due evaluation reads: the team (one row per student with seats, unless the
case file is closed), the rules' scopes and clock starts, and where each rule's contacts live."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    Subquery,
    Table,
    and_,
    case,
    exists,
    func,
    null,
    or_,
    select,
    true,
)

from storage.academic.due import open_warning
from storage.cases.files import CLOSED
from storage.due.rules import SEATS, WEEKLY_REPORT, RuleQuery
from storage.models import (
    Assignment,
    CaseFile,
    Person,
    StudentCategory,
    VisitLog,
    WeeklyReport,
)


def team_table(person_id: int | None) -> Select[Any]:
    """Per student with any seat (with `person_id`: any of theirs): the three seat holders and
    when each took the seat (`<seat>_since`), flags, graduation year, and when the student
    became special (`special_since`) and key attention (`key_since`)."""
    person, category = table(Person), table(StudentCategory)
    seats = _seats(person_id)
    has_category = exists().where(category.c.student_id == seats.c.student_id)
    special = or_(person.c.key_attention.is_(True), has_category)
    key_since = case((person.c.key_attention.is_(True), person.c.key_attention_since))
    return select(
        seats,
        person.c.key_attention,
        person.c.graduation_year,
        special.label("special"),
        key_since.label("key_since"),
        earliest(_first_category(seats), key_since).label("special_since"),
    ).join_from(seats, person, person.c.id == seats.c.student_id)


def _seats(person_id: int | None) -> Subquery:
    """One row per student: each seat's holder and when they took it."""
    seat = table(Assignment)
    holders = [
        func.max(case((seat.c.role == role, seat.c.mentor_id))).label(role) for role in SEATS
    ]
    taken = [
        func.max(case((seat.c.role == role, seat.c.assigned_at))).label(f"{role}_since")
        for role in SEATS
    ]
    pivot = (
        select(seat.c.student_id, *holders, *taken)
        .where(~_closed_file(seat.c.student_id))
        .group_by(seat.c.student_id)
    )
    if person_id is not None:
        mine = seat.alias("mine")
        pivot = pivot.where(
            seat.c.student_id.in_(select(mine.c.student_id).where(mine.c.mentor_id == person_id))
        )
    return pivot.subquery("seats")


def _closed_file(student_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """The student's case file is closed (撤销建档): nothing is due for them until reopened."""
    case_file = table(CaseFile)
    return exists().where(case_file.c.student_id == student_id, case_file.c.status == CLOSED)


def _first_category(seats: Subquery) -> ColumnElement[Any]:
    """When the student got their first category; NULL without one, or when one has no date
    (special from before anything is evaluated)."""
    category = table(StudentCategory)
    undated = func.count() > func.count(category.c.since)
    first = select(case((undated, null()), else_=func.min(category.c.since)))
    return first.where(category.c.student_id == seats.c.student_id).scalar_subquery()


def clock_start(rule: RuleQuery, team: CTE) -> ColumnElement[Any]:
    """When the rule's clock starts for a student, at the latest of: the remind seat taken by
    its holder, and the student entering the rule's scope (the category given, key attention
    set, or becoming special at all). NULL when none is known: the period's own start."""
    scope, category = rule.scope, table(StudentCategory)
    starts: list[ColumnElement[Any]] = [team.c[f"{rule.remind_seat}_since"]]
    if scope.key_attention_only:
        starts.append(team.c.key_since)
    if scope.category is not None:
        given = select(category.c.since).where(
            category.c.student_id == team.c.student_id,
            category.c.category_code == scope.category,
        )
        starts.append(given.scalar_subquery())
    if scope.special_only and not scope.key_attention_only and scope.category is None:
        starts.append(team.c.special_since)
    start = starts[0]
    for other in starts[1:]:
        start = latest(start, other)
    return start


def latest(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    """The later of two moments, ignoring NULL (GREATEST on PostgreSQL ignores it, SQLite's
    two-argument max() does not: spelled out for both)."""
    return case((a > b, a), else_=func.coalesce(b, a))


def earliest(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    """The earlier of two moments, ignoring NULL."""
    return case((a < b, a), else_=func.coalesce(b, a))


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
    if scope.academic_warning is not None:
        conditions.append(open_warning(team.c.student_id, scope.academic_warning))
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
            in_period = and_(at >= rule.period_start, at < (rule.counted_until or rule.period_end))
        return cls(log, at, log.c.kind.in_(rule.kinds), in_period)


def _weeks_in(report: Table, rule: RuleQuery) -> ColumnElement[bool] | None:
    """A weekly report belongs to its week: its `week_start` date, compared with the calendar
    dates of the period bounds in the time zone they were given in."""
    if rule.times is None or rule.period_start is None or rule.period_end is None:
        return None
    first, last = rule.period_start.date(), (rule.counted_until or rule.period_end).date()
    return and_(report.c.week_start >= first, report.c.week_start < last)


def table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)
