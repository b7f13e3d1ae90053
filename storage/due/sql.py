"""The due evaluation's one SQL statement: a branch per rule over a shared team table, glued
with UNION ALL; every branch yields the columns of storage.due.plan.Found.

"seek" finds each student's contacts by index lookups, all rules' in one pass over the team
(cheap on SQLite, and for one person's few students anywhere); "scan" aggregates each rule's
logs in one grouped pass per rule (cheap on PostgreSQL for the whole school).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    Subquery,
    and_,
    case,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)

from storage.due.plan import Active
from storage.due.tables import Source, clock_start, in_scope, team_table

Wrap = Callable[[ColumnElement[Any]], ColumnElement[Any]]
"""How a branch hands a datetime column to the driver (see storage.due.evaluate._moments)."""


@dataclass(frozen=True, slots=True)
class Options:
    now: datetime
    seek: bool
    person_id: int | None
    moment: Wrap


def statement(active: Sequence[Active], options: Options) -> CompoundSelect[Any]:
    team = team_table(options.person_id).cte("team")
    if options.seek:
        return _seek_statement(active, team, options)
    return union_all(*(_scan_branch(rule, team, options) for rule in active))


def _head(active: Active, team: CTE, options: Options) -> Select[Any]:
    """The columns every branch starts with, for the students in the rule's scope."""
    return select(
        literal_column(str(active.index), Integer).label("active"),
        team.c.student_id,
        team.c[active.rule.remind_seat].label("person_id"),
        team.c.key_attention,
    ).where(*_scope(active, team, options))


def _scope(active: Active, team: CTE, options: Options) -> list[ColumnElement[bool]]:
    conditions = in_scope(active.rule, team)
    if options.person_id is not None:
        conditions.append(team.c[active.rule.remind_seat] == options.person_id)
    return conditions


def _seek_statement(active: Sequence[Active], team: CTE, options: Options) -> CompoundSelect[Any]:
    """Every rule's lookup in one pass over the team, then a branch per rule.

    The pass is MATERIALIZED so that the branches filter on the lookups without running them
    again; a paced rule looks up the last contact only for the students it finds due."""
    lookups = [_lookup(rule, team, options).label(f"found_{rule.index}") for rule in active]
    found = select(team, *lookups).cte("found").prefix_with("MATERIALIZED")
    return union_all(*(_seek_branch(rule, found, options) for rule in active))


def _lookup(active: Active, team: CTE, options: Options) -> ColumnElement[Any]:
    """For the students in the rule's scope: rolling, the last contact; paced, how many
    contacts fell in the period."""
    source, counted = Source.of(active.rule), active.rule.counted_seats or ()
    if active.every is not None:
        lookup = _seek(source, team, options.now, counted, func.max(source.at))
    else:
        assert source.in_period is not None
        lookup = _seek(source, team, options.now, counted, func.count(), source.in_period)
    return case((and_(*_scope(active, team, options)), lookup))


def _seek_branch(active: Active, found: CTE, options: Options) -> Select[Any]:
    value, start = found.c[f"found_{active.index}"], clock_start(active.rule, found)
    head = _head(active, found, options)
    if active.every is not None:
        columns = _rolling_columns(value, start, options)
        return head.add_columns(*columns).where(_rolling_due(active, value, start))
    source, counted = Source.of(active.rule), active.rule.counted_seats or ()
    last_at = _seek(source, found, options.now, counted, func.max(source.at))
    waived = _waived(active, start)
    return head.add_columns(
        options.moment(last_at).label("last_at"),
        value.label("done"),
        waived.label("waived"),
        null().label("started"),
    ).where(value + waived < active.required)


def _seek(
    source: Source,
    team: CTE,
    now: datetime,
    counted: tuple[str, ...],
    aggregate: ColumnElement[Any],
    *conditions: ColumnElement[bool],
) -> ColumnElement[Any]:
    """One student's contacts: a scalar subquery correlated with `team` (or the found pass)."""
    log = source.table
    found = [log.c.student_id == team.c.student_id, source.wanted, source.at <= now]
    if counted:
        found.append(log.c.author_id.in_([team.c[seat] for seat in counted]))
    return select(aggregate).where(*found, *conditions).scalar_subquery()


def _scan_branch(active: Active, team: CTE, options: Options) -> Select[Any]:
    contacts = _scan(active, team, options.now)
    outer = team.outerjoin(contacts, contacts.c.student_id == team.c.student_id)
    head = _head(active, team, options).select_from(outer)
    last_at, start = contacts.c.last_at, clock_start(active.rule, team)
    if active.every is not None:
        columns = _rolling_columns(last_at, start, options)
        return head.add_columns(*columns).where(_rolling_due(active, last_at, start))
    done, waived = func.coalesce(contacts.c.done, 0), _waived(active, start)
    return head.add_columns(
        options.moment(last_at).label("last_at"),
        done.label("done"),
        waived.label("waived"),
        null().label("started"),
    ).where(done + waived < active.required)


def _scan(active: Active, team: CTE, now: datetime) -> Subquery:
    """Per student: the last satisfying contact and how many fell in the period."""
    rule, source = active.rule, Source.of(active.rule)
    log = source.table
    done = literal_column("0", Integer) if source.in_period is None else _count_if(source.in_period)
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


def _rolling_columns(
    last_at: ColumnElement[Any], start: ColumnElement[Any], options: Options
) -> list[ColumnElement[Any]]:
    """last_at, done, waived, started (the clock start, see storage.due.tables.clock_start)."""
    return [
        options.moment(last_at).label("last_at"),
        literal_column("0", Integer).label("done"),
        literal_column("0", Integer).label("waived"),
        options.moment(start).label("started"),
    ]


def _rolling_due(
    active: Active, last_at: ColumnElement[Any], start: ColumnElement[Any]
) -> ColumnElement[bool]:
    """Due when the clock (the last contact, else `since`; never before the clock start) is
    at or before `latest`."""
    assert active.since is not None and active.latest is not None
    contact = last_at <= active.latest
    if active.since <= active.latest:
        contact = or_(contact, last_at.is_(None))
    return and_(contact, or_(start.is_(None), start <= active.latest))


def _waived(active: Active, start: ColumnElement[Any]) -> ColumnElement[int]:
    """How many of the rule's due moments up to the cutoff passed before its clock started."""
    terms = [case((start >= moment, 1), else_=0) for moment in active.thresholds]
    total: ColumnElement[int] = terms[0]
    for term in terms[1:]:
        total = total + term
    return total
