"""The academic calendar: working days, quiet hours, digest slots, semesters and periods.

Pure functions of dates and aware datetimes; `now` is always a parameter. Working days come
from chinesecalendar (so 调休 Saturdays are working days) with the policy's extra_holidays and
extra_workdays as overrides. For a year chinesecalendar does not know yet (it raises
NotImplementedError) the fallback is weekends plus the policy's extras; the first such lookup
per year per process logs one warning (`_year_known` is cached), and `calendar_coverage` says
so for `carebot policy check`. Holiday blocks and key periods live in handlers/policy/periods.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar

from handlers.policy.model import DateRange, Per, Policy, Rule, Season, Semester

log = logging.getLogger(__name__)

# A digest slot always exists within a year: no policy can make a whole year non-working.
_SEARCH_DAYS = 366
FALLBACK_NOTE = "{year} 年的法定节假日尚未公布，按周末和策略文件中的假日计算"
EXTRAS_NOTE = "{year} 年：策略文件另列假日 {holidays} 天、调休上班 {workdays} 天"


@cache
def _year_known(year: int) -> bool:
    """Whether chinesecalendar has the State Council's arrangement for `year`.

    Cached, so the warning for an unknown year is logged once per process."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        log.warning(
            "chinesecalendar has no holidays for %d; using weekends and the policy's"
            " extra_holidays/extra_workdays",
            year,
        )
        return False
    return True


def year_known(year: int) -> bool:
    """True when chinesecalendar covers `year` (else working days use the fallback)."""
    return _year_known(year)


def is_working_day(day: date, policy: Policy) -> bool:
    """A day people work in China: 调休 Saturdays yes, statutory holidays no."""
    if day in policy.calendar.extra_workdays:
        return True
    if day in policy.calendar.extra_holidays:
        return False
    if _year_known(day.year):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


def is_digest_day(day: date, policy: Policy) -> bool:
    """Digests go out on working days only, unless the schedule says every day."""
    return not policy.schedule.working_days_only or is_working_day(day, policy)


def next_working_day(day: date, policy: Policy) -> date:
    """`day` itself when it is a working day, else the first working day after it."""
    for offset in range(_SEARCH_DAYS):
        candidate = day + timedelta(days=offset)
        if is_working_day(candidate, policy):
            return candidate
    raise ValueError(f"no working day within a year after {day}")


def calendar_coverage(policy: Policy, years: Iterable[int]) -> list[str]:
    """One Chinese note per year that uses the fallback or policy overrides."""
    notes = []
    for year in sorted(set(years)):
        holidays = sum(1 for d in policy.calendar.extra_holidays if d.year == year)
        workdays = sum(1 for d in policy.calendar.extra_workdays if d.year == year)
        if not year_known(year):
            notes.append(FALLBACK_NOTE.format(year=year))
        if holidays or workdays:
            notes.append(EXTRAS_NOTE.format(year=year, holidays=holidays, workdays=workdays))
    return notes


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("aware datetimes only")
    return moment.astimezone(tz)


def in_quiet_hours(moment: datetime, policy: Policy, *, tz: ZoneInfo) -> bool:
    return _local(moment, tz).time() in policy.schedule.quiet_hours


def quiet_hours_end(moment: datetime, policy: Policy, *, tz: ZoneInfo) -> datetime | None:
    """The end of the quiet hours `moment` falls in (aware, in tz), else None."""
    if not in_quiet_hours(moment, policy, tz=tz):
        return None
    local = _local(moment, tz)
    candidate = datetime.combine(local.date(), policy.schedule.quiet_hours.end, tzinfo=tz)
    return candidate if candidate > local else candidate + timedelta(days=1)


def digest_at(day: date, policy: Policy, *, tz: ZoneInfo) -> datetime | None:
    """The digest slot of `day` (aware, in tz), or None when `day` gets no digest."""
    if not is_digest_day(day, policy):
        return None
    return datetime.combine(day, policy.schedule.digest_time, tzinfo=tz)


def next_allowed_time(moment: datetime, policy: Policy, *, tz: ZoneInfo) -> datetime:
    """The earliest time at or after `moment` when a digest may go out (aware, in tz).

    That is `moment` itself on a digest day after the digest time and outside quiet hours
    (a digest missed while the service was down goes out now, once); the end of the quiet
    hours when they lie inside the day; else the digest time of the next digest day."""
    local = _local(moment, tz)
    quiet = policy.schedule.quiet_hours
    for offset in range(_SEARCH_DAYS):
        slot = digest_at(local.date() + timedelta(days=offset), policy, tz=tz)
        if slot is None:
            continue
        candidate = max(slot, local)
        if candidate.time() not in quiet:
            return candidate
        if quiet.start < quiet.end:  # quiet hours inside the day: wait for their end
            return datetime.combine(candidate.date(), quiet.end, tzinfo=tz)
    raise ValueError(f"no digest day within a year after {moment}")


def semester_at(day: date, policy: Policy) -> Semester | None:
    """The semester whose start..end contains `day` (None in vacations between semesters)."""
    return next((s for s in policy.semesters if day in s.span), None)


SHORT_SEASONS: dict[str, Season] = {"秋": "autumn", "春": "spring"}
_SHORT_NAME = re.compile(r"(\d{4})\s*[-－—年]?\s*([秋春])(?:季)?(?:学期)?")


def semester_named(name: str, policy: Policy) -> Semester | None:
    """The policy semester `name` means: its own name (2026-2027学年第一学期) or the short form
    "YYYY-秋" / "YYYY-春", the autumn or spring semester starting in year YYYY."""
    written = name.strip()
    found = next((s for s in policy.semesters if s.name == written), None)
    match = _SHORT_NAME.fullmatch(written) if found is None else None
    if match is None:
        return found
    year, season = int(match[1]), SHORT_SEASONS[match[2]]
    return next((s for s in policy.semesters if s.start.year == year and s.season == season), None)


def latest_semesters(day: date, policy: Policy, *, count: int) -> tuple[Semester, ...]:
    """The latest `count` semesters begun by `day`, the latest first (in a vacation, the one
    just ended leads)."""
    started = [s for s in policy.semesters if s.start <= day]
    return tuple(reversed(started[-count:]))


def vacation_at(day: date, policy: Policy) -> DateRange | None:
    return next((v for s in policy.semesters for v in s.vacations if day in v), None)


def in_vacation(day: date, policy: Policy) -> bool:
    return vacation_at(day, policy) is not None


def academic_year_end(day: date, policy: Policy) -> int:
    """The end year of the academic year containing `day`: its graduating class.

    The latest semester that has started decides (its summer vacation included); without
    one, the academic year turns on 1 September."""
    started = [s for s in policy.semesters if s.start <= day]
    if started:
        return started[-1].academic_year_end
    return day.year + 1 if day.month >= 9 else day.year


def period_days(day: date, per: Per, *, policy: Policy) -> DateRange | None:
    """The calendar week (Monday first), month or semester containing `day`.

    None only for "semester" on a day outside every semester (a vacation)."""
    if per == "week":
        monday = day - timedelta(days=day.weekday())
        return DateRange(monday, monday + timedelta(days=6))
    if per == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return DateRange(first, following - timedelta(days=1))
    semester = semester_at(day, policy)
    return semester.span if semester else None


def period_bounds(
    day: date, per: Per, *, policy: Policy, tz: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """`period_days` as a half-open [start, end) pair of aware datetimes at midnight in tz."""
    days = period_days(day, per, policy=policy)
    if days is None:
        return None
    start = datetime.combine(days.start, time(0), tzinfo=tz)
    return start, datetime.combine(days.end + timedelta(days=1), time(0), tzinfo=tz)


def rule_applies(rule: Rule, day: date, *, policy: Policy) -> bool:
    """Whether `rule` is in force on `day`: vacation=false rules rest in vacations, and
    per-semester rules need a semester."""
    if not rule.vacation and in_vacation(day, policy):
        return False
    return rule.cadence.per != "semester" or semester_at(day, policy) is not None
