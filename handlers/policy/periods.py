"""Statutory-holiday blocks and the key periods around exams, holidays and returns.

Seed 001 §二.3 asks for extra contact "before exams, before and after holidays". A key period is
- 考前: the `days_before` days before each exam period;
- <节日>前 / <节日>后返校: the `days_before` days before and the `return_week_days` days after
  each holiday block — a run of consecutive days off (weekends included) that contains a
  statutory holiday and lasts at least `holiday_min_days`. A block is used only when the day
  before it is a semester day: blocks inside a vacation are covered by the return week;
- 寒假返校 / 暑假返校: the first `return_week_days` days of each semester, and 假期返校 after a
  vacation that ends inside a semester.
Periods are clipped to their semester, a return week stops before the next holiday block, and
periods may overlap (one talk in the overlap satisfies both).

A period that ends unfulfilled is still owed after its last day (`owed_until`): until the next
key period starts, or its semester ends (a 考前 talk is not chased through the winter vacation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Literal

import chinese_calendar

from handlers.policy.calendar import is_working_day, semester_at, year_known
from handlers.policy.model import DateRange, Policy

KeyPeriodKind = Literal["before_exam", "before_holiday", "after_holiday", "after_vacation"]

_CHINESE_BY_MEMBER = {
    "new_years_day": "元旦",
    "spring_festival": "春节",
    "tomb_sweeping_day": "清明节",
    "labour_day": "劳动节",
    "dragon_boat_festival": "端午节",
    "national_day": "国庆节",
    "mid_autumn_festival": "中秋节",
    "anti_fascist_70th_day": "抗战胜利纪念日",
}
HOLIDAY_NAMES = {
    holiday.value: _CHINESE_BY_MEMBER.get(holiday.name, "节假日")
    for holiday in chinese_calendar.Holiday
}
GENERIC_HOLIDAY = "节假日"
EXAM_WEEK = "考试周"
BEFORE_EXAM = "考前"
BEFORE_HOLIDAY = "前"
AFTER_HOLIDAY = "后返校"
OPENING = "开学"
RETURN_NAMES = {"spring": "寒假返校", "autumn": "暑假返校"}
BREAK_RETURN = "假期返校"
_MAX_BLOCK_DAYS = 366


@dataclass(frozen=True, slots=True)
class HolidayBlock:
    name: str
    """Chinese, e.g. 国庆节; 国庆节、中秋节 when a block holds two holidays."""
    start: date
    end: date

    @property
    def span(self) -> DateRange:
        return DateRange(self.start, self.end)


@dataclass(frozen=True, slots=True)
class KeyPeriod:
    kind: KeyPeriodKind
    name: str
    """考前, 国庆节前, 国庆节后返校, 寒假返校, 假期返校 …"""
    start: date
    end: date
    """Both ends included."""
    reason: str
    """What it is about: 考试周, the holiday's name, or the semester's name + 开学."""
    cause: DateRange | None
    """The exam period, holiday block or vacation; None for a semester's opening."""

    @property
    def span(self) -> DateRange:
        return DateRange(self.start, self.end)


def statutory_name(day: date, policy: Policy) -> str | None:
    """The Chinese name of the statutory holiday on `day` (chinesecalendar, then the policy's
    holiday_names), or None when `day` is not one."""
    named = policy.calendar.holiday_name(day)
    if named or not year_known(day.year):
        return named
    off, name = chinese_calendar.get_holiday_detail(day)
    return HOLIDAY_NAMES.get(name, GENERIC_HOLIDAY) if off and name else None


@cache
def statutory_holidays(year: int, policy: Policy) -> tuple[HolidayBlock, ...]:
    """Blocks of at least `holiday_min_days` days off that contain a holiday in `year`."""
    covered: list[DateRange] = []
    blocks = []
    for seed in _holiday_days(year, policy):
        if is_working_day(seed, policy) or any(seed in days for days in covered):
            continue
        days = _days_off_around(seed, policy)
        covered.append(days)
        if days.days >= policy.key_periods.holiday_min_days:
            blocks.append(HolidayBlock(_block_name(days, policy), days.start, days.end))
    return tuple(blocks)


def _holiday_days(year: int, policy: Policy) -> list[date]:
    """Statutory holidays of `year` from chinesecalendar (if it knows the year) and extras."""
    whole = DateRange(date(year, 1, 1), date(year, 12, 31))
    known = [day for day in whole if statutory_name(day, policy)] if year_known(year) else []
    extras = [day for day in policy.calendar.extra_holidays if day.year == year]
    return sorted({*known, *extras})


def _days_off_around(seed: date, policy: Policy) -> DateRange:
    one = timedelta(days=1)
    start = end = seed
    for _ in range(_MAX_BLOCK_DAYS):
        if is_working_day(start - one, policy):
            break
        start -= one
    for _ in range(_MAX_BLOCK_DAYS):
        if is_working_day(end + one, policy):
            break
        end += one
    return DateRange(start, end)


def _block_name(days: DateRange, policy: Policy) -> str:
    names = [name for day in days if (name := statutory_name(day, policy))]
    return "、".join(dict.fromkeys(names)) or GENERIC_HOLIDAY


def key_periods(policy: Policy, *, start: date, end: date) -> tuple[KeyPeriod, ...]:
    """Every key period that overlaps start..end, ordered by start."""
    settings = policy.key_periods
    first = (start - timedelta(days=settings.return_week_days)).year
    last = (end + timedelta(days=settings.days_before)).year
    blocks = {
        block for year in range(first, last + 1) for block in statutory_holidays(year, policy)
    }
    ordered = sorted(blocks, key=lambda block: block.start)
    found = [*_exam_periods(policy), *_return_periods(policy), *_holiday_periods(ordered, policy)]
    window = DateRange(start, end)
    unique = {period for period in found if period.span.overlaps(window)}
    return tuple(sorted(unique, key=lambda p: (p.start, p.end, p.kind)))


def key_periods_at(day: date, policy: Policy) -> tuple[KeyPeriod, ...]:
    return key_periods(policy, start=day, end=day)


def carried_periods(day: date, policy: Policy) -> tuple[KeyPeriod, ...]:
    """The key periods that ended before `day` and are still owed on it (see owed_until)."""
    term = semester_at(day, policy)
    if term is None:
        return ()
    earlier = key_periods(policy, start=term.start, end=day)
    return tuple(
        period
        for period in earlier
        if period.start >= term.start and period.end < day <= owed_until(period, policy)
    )


def owed_until(period: KeyPeriod, policy: Policy) -> date:
    """The last day an unfulfilled key period is owed: the day before the next key period
    (the first to start after it ended) starts, at the latest the last day of its semester."""
    term = semester_at(period.end, policy)
    if term is None:
        return period.end
    later = key_periods(policy, start=period.end, end=term.end)
    starts = [other.start for other in later if other.start > period.end]
    return min([term.end, *(start - timedelta(days=1) for start in starts)])


def key_period_at(day: date, policy: Policy) -> KeyPeriod | None:
    """The key period containing `day`; of overlapping ones, the one that began last."""
    periods = key_periods_at(day, policy)
    return max(periods, key=lambda p: p.start) if periods else None


def _exam_periods(policy: Policy) -> list[KeyPeriod]:
    before = timedelta(days=policy.key_periods.days_before)
    periods = []
    for semester in policy.semesters:
        for exam in semester.exam_weeks:
            start = max(exam.start - before, semester.start)
            end = exam.start - timedelta(days=1)
            if start <= end:
                periods.append(KeyPeriod("before_exam", BEFORE_EXAM, start, end, EXAM_WEEK, exam))
    return periods


def _holiday_periods(blocks: list[HolidayBlock], policy: Policy) -> list[KeyPeriod]:
    """Before and after each block, within the semester; a return week stops before the next
    block (a 中秋节 three days before 国庆节 must not stretch its return week into it)."""
    settings, one = policy.key_periods, timedelta(days=1)
    periods = []
    for index, block in enumerate(blocks):
        term = semester_at(block.start - one, policy)
        if term is None:
            continue
        name, span = block.name, block.span
        start = max(block.start - timedelta(days=settings.days_before), term.start)
        periods.append(
            KeyPeriod("before_holiday", name + BEFORE_HOLIDAY, start, block.start - one, name, span)
        )
        back = semester_at(block.end + one, policy)
        if back is None or back.start == block.end + one:
            continue
        end = min(block.end + timedelta(days=settings.return_week_days), back.end)
        if index + 1 < len(blocks):
            end = min(end, blocks[index + 1].start - one)
        periods.append(
            KeyPeriod("after_holiday", name + AFTER_HOLIDAY, block.end + one, end, name, span)
        )
    return periods


def _return_periods(policy: Policy) -> list[KeyPeriod]:
    week = timedelta(days=policy.key_periods.return_week_days - 1)
    periods = []
    for semester in policy.semesters:
        end = min(semester.start + week, semester.end)
        name, reason = RETURN_NAMES[semester.season], semester.name + OPENING
        periods.append(KeyPeriod("after_vacation", name, semester.start, end, reason, None))
        for vacation in semester.vacations:
            back = vacation.end + timedelta(days=1)
            term = semester_at(back, policy)
            if term is not None and term.start != back:
                end = min(back + week, term.end)
                periods.append(
                    KeyPeriod("after_vacation", BREAK_RETURN, back, end, BREAK_RETURN, vacation)
                )
    return periods
