"""Due and overdue contacts per (rule, student, responsible person), in one SQL statement."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import (
    CTE,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    Subquery,
    Table,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Assignment, Person, StudentCategory, TeamRole, VisitLog, WeeklyReport

WEEKLY_REPORT = "周报"
"""The kind that makes WeeklyReport rows, not visit logs, satisfy a rule."""

SEATS: tuple[str, ...] = tuple(TeamRole)

Strategy = Literal["auto", "seek", "scan"]


class RuleQueryError(ValueError):
    """A rule cannot be evaluated as given (a bug in the caller's translation of the policy)."""


@dataclass(frozen=True, slots=True)
class Scope:
    """Which students a rule covers; every condition given must hold."""

    special_only: bool = True  # at least one category, or key attention
    key_attention_only: bool = False
    category: str | None = None  # a category code
    graduation_year: int | None = None


@dataclass(frozen=True, slots=True)
class RuleQuery:
    """One cadence rule in storage terms: rolling (`every_days`) or paced (`times` per period).

    `counted_seats`: only contacts by the current holders of these seats count (None: anyone's).
    `kinds`: VisitLog kinds, or just (WEEKLY_REPORT,) to count weekly reports by their week.
    `since`: rolling rules start a never-contacted student's clock here (default: now - every)."""

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

    def __post_init__(self) -> None:
        for problem in _problems(self):
            raise RuleQueryError(f"{self.rule_id}: {problem}")


@dataclass(frozen=True, slots=True)
class DueItem:
    rule_id: str
    student_id: int
    person_id: int  # who holds the remind seat
    due_at: datetime  # aware UTC
    last_at: datetime | None  # the last satisfying contact at or before now
    done: int  # satisfying contacts in the period so far (paced rules), else 0
    key_attention: bool


@dataclass(frozen=True, slots=True)
class _Active:
    """A rule that may have items by the cutoff, with what its SQL filters on and what turns a
    row into an item."""

    index: int
    rule: RuleQuery
    every: timedelta | None = None  # rolling
    since: datetime | None = None  # rolling: the clock start of the never contacted
    latest: datetime | None = None  # rolling: a last contact at or before this is due
    required: int = 0  # paced: contacts due by the cutoff
    start: datetime | None = None  # paced: the period, in UTC
    length: timedelta = timedelta(0)

    def item(self, row: _Found) -> DueItem:
        _, student, person, key, last_at, done = row
        rule_id = self.rule.rule_id
        if self.every is not None and self.since is not None:
            due_at = (last_at or self.since) + self.every
            return DueItem(rule_id, student, person, due_at, last_at, 0, bool(key))
        assert self.start is not None and self.rule.times is not None
        done = int(done or 0)
        due_at = self.start + self.length * (done + 1) / self.rule.times
        return DueItem(rule_id, student, person, due_at, last_at, done, bool(key))


# active rule index, student, remind-seat holder, key attention, last contact, contacts in period
_Found = tuple[int, int, int, Any, datetime | None, int | None]


async def due_items(
    session: AsyncSession,
    rules: Sequence[RuleQuery],
    *,
    now: datetime,
    upcoming: timedelta = timedelta(0),
    strategy: Strategy = "auto",
) -> list[DueItem]:
    """Items due at `now` or overdue, plus those falling due within `upcoming`, in no
    particular order (callers sort by what they show).

    One SQL statement for all rules, whatever the number of students; contacts after `now`
    are ignored. `strategy` says how it finds contacts: "seek" looks up each student's in the
    index (fast on SQLite), "scan" groups each rule's logs in one pass (fast on PostgreSQL;
    on SQLite its joins turn quadratic at scale), "auto" picks by database. Forcing one is for
    tests and measurements: both give the same items."""
    if now.utcoffset() is None:
        raise RuleQueryError("now must be an aware datetime")
    active = _active(rules, now=now, cutoff=now + upcoming)
    if not active:
        return []
    connection = await session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # Compiling the large statement to machine code costs more than it ever saves.
        await connection.exec_driver_sql("SET LOCAL jit = off")
    seek = strategy == "seek" or (strategy == "auto" and dialect == "sqlite")
    result = await connection.execute(_statement(active, now=now, seek=seek))
    rows = cast(Sequence[_Found], result.all())
    return [active[row[0]].item(row) for row in rows]


def _active(rules: Sequence[RuleQuery], *, now: datetime, cutoff: datetime) -> list[_Active]:
    active: list[_Active] = []
    for rule in rules:
        index = len(active)
        if rule.every_days is not None:
            every = timedelta(days=rule.every_days)
            since = (rule.since or now - every).astimezone(UTC)
            active.append(_Active(index, rule, every, since, latest=cutoff - every))
        elif (required := _required(rule, cutoff)) > 0:
            start, end, _ = _period(rule)
            length = end - start
            active.append(_Active(index, rule, required=required, start=start, length=length))
    return active


def _required(rule: RuleQuery, cutoff: datetime) -> int:
    """Paced: the i-th of `times` contacts is due at start + i × length / times."""
    start, end, times = _period(rule)
    return min(times, (cutoff - start) * times // (end - start))


def _period(rule: RuleQuery) -> tuple[datetime, datetime, int]:
    assert rule.period_start and rule.period_end and rule.times, "checked in RuleQuery"
    return rule.period_start.astimezone(UTC), rule.period_end.astimezone(UTC), rule.times


def _statement(active: Sequence[_Active], *, now: datetime, seek: bool) -> CompoundSelect[Any]:
    """One branch per rule over a shared team table, glued with UNION ALL.

    `seek` finds each student's contacts by index lookups (cheap on SQLite); otherwise each
    rule aggregates its kinds' logs in one grouped scan (cheap on PostgreSQL)."""
    team = _team().cte("team")
    branch = _seek_branch if seek else _scan_branch
    return union_all(*(branch(rule, team, now=now) for rule in active))


def _team() -> Select[Any]:
    """Per student with any seat: the three seat holders, flags and graduation year."""
    seat, person, category = _table(Assignment), _table(Person), _table(StudentCategory)
    holders = [
        func.max(case((seat.c.role == role, seat.c.mentor_id))).label(role) for role in SEATS
    ]
    pivot = select(seat.c.student_id, *holders).group_by(seat.c.student_id).subquery("seats")
    has_category = exists().where(category.c.student_id == pivot.c.student_id)
    special = or_(person.c.key_attention.is_(True), has_category)
    return select(
        pivot, person.c.key_attention, person.c.graduation_year, special.label("special")
    ).join_from(pivot, person, person.c.id == pivot.c.student_id)


def _head(active: _Active, team: CTE) -> Select[Any]:
    """The columns every branch starts with, for the students in the rule's scope."""
    return select(
        literal_column(str(active.index), Integer).label("active"),
        team.c.student_id,
        team.c[active.rule.remind_seat].label("person_id"),
        team.c.key_attention,
    ).where(*_in_scope(active.rule, team))


def _seek_branch(active: _Active, team: CTE, *, now: datetime) -> Select[Any]:
    source, rule = _Source.of(active.rule), active.rule
    found = [source.table.c.student_id == team.c.student_id, source.wanted, source.at <= now]
    if rule.counted_seats is not None:
        found.append(source.table.c.author_id.in_([team.c[s] for s in rule.counted_seats]))
    last_at = select(func.max(source.at)).where(*found).scalar_subquery()
    done: ColumnElement[int] = literal(0)
    if source.in_period is not None:
        done = select(func.count()).where(*found, source.in_period).scalar_subquery()
    # Materialized, so the filter below does not evaluate the lookups a second time.
    rows = _head(active, team).add_columns(last_at.label("last_at"), done.label("done"))
    cte = rows.cte(f"rule_{active.index}").prefix_with("MATERIALIZED")
    return select(cte).where(_due(active, cte.c.last_at, cte.c.done))


def _scan_branch(active: _Active, team: CTE, *, now: datetime) -> Select[Any]:
    contacts = _scan(active, team, now=now)
    joined = team.outerjoin(contacts, contacts.c.student_id == team.c.student_id)
    return (
        _head(active, team)
        .add_columns(contacts.c.last_at, contacts.c.done)
        .select_from(joined)
        .where(_due(active, contacts.c.last_at, contacts.c.done))
    )


def _scan(active: _Active, team: CTE, *, now: datetime) -> Subquery:
    """Per student: the last satisfying contact and how many fell in the period."""
    rule, source = active.rule, _Source.of(active.rule)
    log = source.table
    done = literal(0) if source.in_period is None else _count_if(source.in_period)
    query = (
        select(log.c.student_id, func.max(source.at).label("last_at"), done.label("done"))
        .where(source.wanted, source.at <= now)
        .group_by(log.c.student_id)
    )
    if rule.counted_seats is not None:
        # One team row per student, so the join only filters; it never repeats a contact.
        holders = [team.c[seat] for seat in rule.counted_seats]
        seated = and_(team.c.student_id == log.c.student_id, log.c.author_id.in_(holders))
        query = query.join_from(log, team, seated)
    return query.subquery(f"contacts_{active.index}")


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _due(active: _Active, last_at: Any, done: Any) -> ColumnElement[bool]:
    if active.rule.every_days is None:
        return or_(done.is_(None), done < active.required)
    assert active.since is not None and active.latest is not None
    if active.since > active.latest:
        return cast(ColumnElement[bool], last_at <= active.latest)
    return or_(last_at.is_(None), last_at <= active.latest)


def _in_scope(rule: RuleQuery, team: CTE) -> list[ColumnElement[bool]]:
    scope, category = rule.scope, _table(StudentCategory)
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
class _Source:
    """Where a rule's contacts live: visit logs of some kinds, or weekly reports."""

    table: Table
    at: ColumnElement[datetime]
    wanted: ColumnElement[bool]
    in_period: ColumnElement[bool] | None  # paced rules only

    @classmethod
    def of(cls, rule: RuleQuery) -> _Source:
        if rule.kinds == (WEEKLY_REPORT,):
            report = _table(WeeklyReport)
            return cls(report, report.c.created_at, true(), _weeks_in(report, rule))
        log = _table(VisitLog)
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


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


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
    moments = (rule.period_start, rule.period_end, rule.since)
    if any(moment is not None and moment.utcoffset() is None for moment in moments):
        yield "datetimes must be aware"
    elif rule.times is not None and not (
        rule.period_start and rule.period_end and rule.period_start < rule.period_end
    ):
        yield "times needs a period that ends after it starts"
