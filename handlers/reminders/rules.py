"""Translate the policy's cadence rules and key periods into storage queries for one moment.

Pure functions of the policy and a reference time. Each `Plan` pairs a RuleQuery with what a
reminder shows about it and its `horizon`: the latest due time that counts as due at the
reference time. The due engine (storage/due/evaluate.py) makes the i-th of K contacts in a
period due at start + i × length / K, so "once a week" falls due only as the week ends; a
paced rule is therefore shown `LEAD[per]` ahead of its due time ("this week's 周报, by
Sunday"), a rolling rule from the start of the day it falls due, and a key period for its
whole length (one contact inside it is what it asks for). A key period that ended unfulfilled
is carried as overdue until the next one starts (handlers/policy/periods.py's owed_until), and
a contact made while it is carried fulfils it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from handlers.context import Context
from handlers.policy import calendar
from handlers.policy.load import KeyPeriods, Per, Policy, Rule, StudentScope, load_policy
from handlers.policy.model import SEATS
from handlers.policy.periods import KeyPeriod, carried_periods, key_periods_at, owed_until
from storage.due.evaluate import RuleQuery, Scope

LEAD: dict[Per, timedelta] = {
    "week": timedelta(days=3),  # from Friday: the last working day of an ordinary week
    "month": timedelta(days=7),
    "semester": timedelta(days=28),
}
KEY_PERIOD_PREFIX = "key_period:"
SENSITIVE_SCOPES = ("key_attention", "category", "academic_warning")
"""Scopes that say something about the students: peer mentors never see such a rule's title."""


@dataclass(frozen=True, slots=True)
class Plan:
    query: RuleQuery
    title: str
    kind: str
    """The first kind of the rule: what its 记录 button prefills."""
    horizon: datetime
    period: str | None = None
    """The key period's name (国庆节前 …), None for a cadence rule."""
    sensitive: bool = False
    """The rule's scope says something about the students (a category, key attention)."""


@cache
def default_policy() -> Policy:
    return load_policy(None)


def policy_of(ctx: Context) -> Policy:
    """The policy the settings loaded, or the shipped defaults (handlers built without one)."""
    return ctx.config.policy or default_policy()


def graduating_year(ctx: Context) -> int:
    """The 预计毕业年份 of this academic year's final-year class (毕业班), by the policy's
    calendar: broadcasts, job pushes, surveys and psychological-event notices all ask here."""
    day = ctx.now.astimezone(ctx.config.tz).date()
    return calendar.academic_year_end(day, policy_of(ctx))


def plans_at(policy: Policy, *, at: datetime, tz: ZoneInfo) -> list[Plan]:
    """Every rule in force at `at`, cadence rules first, then the key periods around it and
    those still owed from before."""
    day = at.astimezone(tz).date()
    plans = [plan for rule in policy.rules if (plan := _rule_plan(rule, policy, at, tz))]
    periods = carried_periods(day, policy) + key_periods_at(day, policy)
    return plans + [_key_plan(period, policy, tz) for period in periods]


def talk_every_days(policy: Policy) -> int | None:
    """The policy's shortest rolling cadence among rules for every special student (the
    seeds' talk every half month), the number 我的学生 quotes for all of them; None when every
    such rule is paced. A rule for some students only (an academic warning) is not quoted."""
    every = (r.cadence.every_days for r in policy.rules if r.students == "special")
    return min((days for days in every if days), default=None)


def _rule_plan(rule: Rule, policy: Policy, at: datetime, tz: ZoneInfo) -> Plan | None:
    day = at.astimezone(tz).date()
    if not calendar.rule_applies(rule, day, policy=policy):
        return None
    scope = _scope(rule.students, rule.category, policy, at, tz)
    cadence = rule.cadence
    if cadence.every_days is not None:
        since = _semester_start(policy, at, tz)
        query = _query(rule.id, rule, scope, every_days=cadence.every_days, since=since)
        horizon = _end_of_day(at, tz)
    else:
        per = cadence.per or "semester"
        bounds = calendar.period_bounds(day, per, policy=policy, tz=tz)
        if bounds is None:
            return None
        query = _query(rule.id, rule, scope, times=cadence.times, period=bounds)
        horizon = at + LEAD[per]
    sensitive = rule.students in SENSITIVE_SCOPES
    return Plan(query, rule.title, rule.kinds[0], horizon, sensitive=sensitive)


def _key_plan(period: KeyPeriod, policy: Policy, tz: ZoneInfo) -> Plan:
    """One contact of the key-period kinds inside the period, due by its last day; a contact
    after it, while it is still owed, counts too."""
    settings: KeyPeriods = policy.key_periods
    start, end = _midnight(period.start, tz), _midnight(period.end + timedelta(days=1), tz)
    owed = _midnight(owed_until(period, policy) + timedelta(days=1), tz)
    rule_id = f"{KEY_PERIOD_PREFIX}{period.kind}:{period.start.isoformat()}"
    scope = _scope(settings.students, settings.category, policy, start, tz)
    query = _query(rule_id, settings, scope, times=1, period=(start, end), counted_until=owed)
    sensitive = settings.students in SENSITIVE_SCOPES
    return Plan(query, settings.title, settings.kinds[0], end, period.name, sensitive)


def _query(
    rule_id: str,
    rule: Rule | KeyPeriods,
    scope: Scope,
    *,
    every_days: int | None = None,
    since: datetime | None = None,
    times: int | None = None,
    period: tuple[datetime, datetime] | None = None,
    counted_until: datetime | None = None,
) -> RuleQuery:
    """A team rule counts a contact by any team seat; a seat's rule only that seat's."""
    counted = SEATS if rule.responsible == "team" else (rule.responsible,)
    start, end = period or (None, None)
    return RuleQuery(
        rule_id,
        rule.remind,
        counted,
        rule.kinds,
        scope,
        every_days=every_days,
        times=times,
        period_start=start,
        period_end=end,
        since=since,
        counted_until=counted_until,
    )


def _scope(
    students: StudentScope, category: str | None, policy: Policy, at: datetime, tz: ZoneInfo
) -> Scope:
    if students == "key_attention":
        return Scope(key_attention_only=True)
    if students == "category":
        return Scope(category=category)
    if students == "graduating":
        day = at.astimezone(tz).date()
        return Scope(graduation_year=calendar.academic_year_end(day, policy))
    if students == "academic_warning":
        day = at.astimezone(tz).date()
        semesters = calendar.latest_semesters(day, policy, count=2)
        return Scope(academic_warning=tuple(semester.name for semester in semesters))
    return Scope()


def _semester_start(policy: Policy, at: datetime, tz: ZoneInfo) -> datetime | None:
    """A never-contacted student's rolling clock starts with the latest semester begun."""
    day = at.astimezone(tz).date()
    started = [semester.start for semester in policy.semesters if semester.start <= day]
    return datetime.combine(started[-1], time(0), tzinfo=tz) if started else None


def _end_of_day(at: datetime, tz: ZoneInfo) -> datetime:
    return _midnight(at.astimezone(tz).date() + timedelta(days=1), tz)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)
