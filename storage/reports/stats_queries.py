"""The statistics' set-wise reads of the care record: who is counted (each special student
once per category), their teams, contact coverage and effect assessments. Runs on the reader."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, exists, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.cases.population import given_before, in_care
from storage.models import Assignment, Category, Person, StudentCategory, VisitLog
from storage.reports.stats_model import Stats, StatsScope

_PERSON = Person.__table__.c  # type: ignore[attr-defined]
_CATEGORY = Category.__table__.c  # type: ignore[attr-defined]
_HAS = StudentCategory.__table__.c  # type: ignore[attr-defined]
_SEAT = Assignment.__table__.c  # type: ignore[attr-defined]
_LOG = VisitLog.__table__.c  # type: ignore[attr-defined]
TEAM_SEATS = 3


@dataclass(frozen=True, slots=True)
class ContactRule:
    """A cadence rule as the coverage asks it: at least `times` contacts of `kinds` in
    [since, scope.as_of], by the holders of `seats` (None: by anyone)."""

    rule_id: str
    title: str
    cadence: str
    kinds: tuple[str, ...]
    since: datetime
    times: int
    seats: tuple[str, ...] | None


async def rows(session: AsyncSession, query: Select[Any]) -> list[Any]:
    # Core rows: no ORM identity map for thousands of students (the columns still decrypt)
    return list((await (await session.connection()).execute(query)).all())


def special(scope: StatsScope) -> Select[Any]:
    """Ids of the students counted: those in care over the range, as in the ledger."""
    return in_care(scope.start, scope.end, scope.college)


async def fill_population(session: AsyncSession, stats: Stats) -> None:
    """Students per category and college, each student once per category."""
    ids = special(stats.scope)
    query = (
        select(_PERSON.id, _PERSON.college, _PERSON.key_attention, _CATEGORY.name)
        .join(StudentCategory.__table__, _HAS.student_id == _PERSON.id)  # type: ignore[attr-defined]
        .join(Category.__table__, _CATEGORY.code == _HAS.category_code)  # type: ignore[attr-defined]
        .where(_PERSON.id.in_(ids), given_before(stats.scope.end))
        .order_by(_CATEGORY.sort_order, _CATEGORY.code)
    )
    students: dict[int, tuple[str, bool]] = {}
    per_category: dict[str, set[int]] = defaultdict(set)
    per_college: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for student_id, college, key, category in await rows(session, query):
        students[student_id] = (college or "", bool(key))
        per_category[category].add(student_id)
        per_college[college or ""][category].add(student_id)
    stats.students = len(students)
    stats.key_attention = sum(1 for _, key in students.values() if key)
    stats.by_category = {name: len(members) for name, members in per_category.items()}
    stats.by_college = {
        college: {name: len(members) for name, members in categories.items()}
        for college, categories in sorted(per_college.items())
    }


async def totals_by_college(session: AsyncSession, scope: StatsScope) -> dict[str, int]:
    """Students counted per college (for the comparison between colleges)."""
    query = (
        select(_PERSON.college, func.count())
        .where(_PERSON.id.in_(special(scope)))
        .group_by(_PERSON.college)
        .order_by(_PERSON.college)
    )
    return {college or "": int(count) for college, count in await rows(session, query)}


async def complete_teams(session: AsyncSession, scope: StatsScope) -> int:
    """Students whose 1+1+1 team has all three seats filled."""
    full = (
        select(_SEAT.student_id)
        .where(_SEAT.student_id.in_(special(scope)))
        .group_by(_SEAT.student_id)
        .having(func.count(func.distinct(_SEAT.role)) >= TEAM_SEATS)
    )
    return len(await rows(session, full))


async def contacted(session: AsyncSession, scope: StatsScope, rule: ContactRule) -> int:
    """Students with at least `rule.times` counted contacts in [rule.since, scope.as_of]."""
    conditions = [
        _LOG.student_id.in_(special(scope)),
        _LOG.kind.in_(rule.kinds),
        _LOG.occurred_at >= rule.since,
        _LOG.occurred_at <= scope.as_of,
    ]
    if rule.seats is not None:
        conditions.append(
            exists().where(
                _SEAT.student_id == _LOG.student_id,
                _SEAT.mentor_id == _LOG.author_id,
                _SEAT.role.in_(rule.seats),
            )
        )
    query = (
        select(_LOG.student_id)
        .where(and_(*conditions))
        .group_by(_LOG.student_id)
        .having(func.count() >= rule.times)
    )
    return len(await rows(session, query))


async def fill_effects(
    session: AsyncSession, stats: Stats, *, scale: tuple[str, ...], tz: ZoneInfo
) -> None:
    """Effect assessments in the range: the distribution and its trend by local month."""
    scope = stats.scope
    query = select(_LOG.occurred_at, _LOG.effect).where(
        _LOG.student_id.in_(special(scope)),
        _LOG.effect.is_not(None),
        _LOG.occurred_at >= scope.start,
        _LOG.occurred_at < scope.end,
    )
    totals = dict.fromkeys(scale, 0)
    trend: dict[str, dict[str, int]] = {}
    for at, effect in await rows(session, query):
        if effect not in totals:
            continue  # a word no longer on the scale is not a point on it
        totals[effect] += 1
        month = _aware(at).astimezone(tz).strftime("%Y-%m")
        trend.setdefault(month, dict.fromkeys(scale, 0))[effect] += 1
    stats.effects = totals
    stats.effect_trend = dict(sorted(trend.items()))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
