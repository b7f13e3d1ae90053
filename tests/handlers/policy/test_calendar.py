"""The academic calendar: working days, quiet hours, digest slots, semesters, key periods."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from handlers.policy import calendar
from handlers.policy.calendar import (
    academic_year_end,
    calendar_coverage,
    digest_at,
    in_quiet_hours,
    in_vacation,
    is_working_day,
    next_allowed_time,
    next_working_day,
    period_bounds,
    rule_applies,
    semester_at,
)
from handlers.policy.load import CalendarOverrides, DateRange, Policy, QuietHours, load_policy
from handlers.policy.periods import key_period_at, key_periods, statutory_holidays

TZ = ZoneInfo("Asia/Shanghai")
POLICY = load_policy(None)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture(autouse=True)
def fresh_year_cache() -> Iterator[None]:
    """Each test sees the once-per-year fallback warning as a new process would."""
    calendar._year_known.cache_clear()
    yield
    calendar._year_known.cache_clear()


def with_calendar(*, holidays: set[date], workdays: set[date]) -> Policy:
    return replace(POLICY, calendar=CalendarOverrides(frozenset(holidays), frozenset(workdays)))


def test_statutory_holidays_and_tiaoxiu_saturdays_2026() -> None:
    assert not is_working_day(date(2026, 10, 1), POLICY)  # National Day, a Thursday
    assert not is_working_day(date(2026, 10, 7), POLICY)
    assert is_working_day(date(2026, 10, 10), POLICY)  # 调休: Saturday worked for National Day
    assert is_working_day(date(2026, 9, 20), POLICY)  # 调休 Sunday
    assert not is_working_day(date(2026, 10, 17), POLICY)  # an ordinary Saturday
    assert is_working_day(date(2026, 11, 23), POLICY)  # an ordinary Monday


def test_policy_overrides_win_over_chinesecalendar() -> None:
    policy = with_calendar(holidays={date(2026, 11, 23)}, workdays={date(2026, 10, 2)})

    assert not is_working_day(date(2026, 11, 23), policy)
    assert is_working_day(date(2026, 10, 2), policy)


def test_an_unannounced_year_falls_back_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    policy = with_calendar(holidays={date(2027, 1, 1)}, workdays={date(2027, 2, 20)})

    with caplog.at_level(logging.WARNING, logger="handlers.policy.calendar"):
        days = [is_working_day(date(2027, 1, d), policy) for d in range(1, 12)]
        saturday = is_working_day(date(2027, 2, 20), policy)

    assert days == [False, False, False, True, True, True, True, True, False, False, True]
    assert saturday
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


def test_calendar_coverage_notes() -> None:
    notes = calendar_coverage(POLICY, [2026, 2027])

    assert notes == [
        "2027 年的法定节假日尚未公布，按周末和策略文件中的假日计算",
        "2027 年：策略文件另列假日 13 天、调休上班 0 天",
    ]


@pytest.mark.parametrize(
    ("clock", "quiet"),
    [
        (time(21, 29), False),
        (time(21, 30), True),
        (time(23, 59), True),
        (time(0, 0), True),
        (time(7, 29), True),
        (time(7, 30), False),
        (time(12, 0), False),
    ],
)
def test_quiet_hours_wrap_midnight(clock: time, quiet: bool) -> None:
    moment = datetime.combine(date(2026, 11, 23), clock, tzinfo=TZ)

    assert in_quiet_hours(moment, POLICY, tz=TZ) is quiet


def test_quiet_hours_read_utc_moments_in_the_local_zone() -> None:
    assert in_quiet_hours(datetime(2026, 11, 23, 14, 0, tzinfo=UTC), POLICY, tz=TZ)  # 22:00
    assert not in_quiet_hours(datetime(2026, 11, 23, 2, 0, tzinfo=UTC), POLICY, tz=TZ)  # 10:00


def test_next_allowed_time_skips_quiet_hours_and_holidays() -> None:
    # Friday 22:00 before 清明 (Sat 4 - Mon 6 April 2026): Tuesday's digest.
    assert next_allowed_time(at(2026, 4, 3, 22), POLICY, tz=TZ) == at(2026, 4, 7, 8, 30)
    # The evening before National Day: the first working day after the week off.
    assert next_allowed_time(at(2026, 9, 30, 22), POLICY, tz=TZ) == at(2026, 10, 8, 8, 30)
    # Friday 22:00 before a 调休 Saturday: that Saturday.
    assert next_allowed_time(at(2026, 10, 9, 22), POLICY, tz=TZ) == at(2026, 10, 10, 8, 30)


def test_next_allowed_time_on_a_working_day() -> None:
    assert next_allowed_time(at(2026, 11, 23, 6), POLICY, tz=TZ) == at(2026, 11, 23, 8, 30)
    assert next_allowed_time(at(2026, 11, 23, 8, 30), POLICY, tz=TZ) == at(2026, 11, 23, 8, 30)
    # A digest missed at 08:30 goes out as soon as the service is back, the same day.
    late = datetime(2026, 11, 23, 3, 15, tzinfo=UTC)
    assert next_allowed_time(late, POLICY, tz=TZ) == at(2026, 11, 23, 11, 15)
    assert next_allowed_time(late, POLICY, tz=TZ).tzinfo == TZ


def test_next_allowed_time_every_day_and_daytime_quiet_hours() -> None:
    every_day = replace(POLICY, schedule=replace(POLICY.schedule, working_days_only=False))
    lunch = replace(
        POLICY, schedule=replace(POLICY.schedule, quiet_hours=QuietHours(time(12), time(13)))
    )

    assert next_allowed_time(at(2026, 10, 16, 22), every_day, tz=TZ) == at(2026, 10, 17, 8, 30)
    assert next_allowed_time(at(2026, 11, 23, 12, 10), lunch, tz=TZ) == at(2026, 11, 23, 13)


def test_digest_days_and_the_next_working_day() -> None:
    every_day = replace(POLICY, schedule=replace(POLICY.schedule, working_days_only=False))

    assert digest_at(date(2026, 10, 10), POLICY, tz=TZ) == at(2026, 10, 10, 8, 30)
    assert digest_at(date(2026, 10, 3), POLICY, tz=TZ) is None
    assert digest_at(date(2026, 10, 3), every_day, tz=TZ) == at(2026, 10, 3, 8, 30)
    assert next_working_day(date(2026, 10, 1), POLICY) == date(2026, 10, 8)
    assert next_working_day(date(2026, 10, 8), POLICY) == date(2026, 10, 8)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        in_quiet_hours(datetime(2026, 11, 23, 22), POLICY, tz=TZ)


def test_semesters_and_vacations() -> None:
    autumn = POLICY.semesters[1]

    assert semester_at(date(2026, 11, 23), POLICY) == autumn
    assert semester_at(date(2026, 9, 7), POLICY) == autumn
    assert semester_at(date(2026, 9, 6), POLICY) is None and in_vacation(date(2026, 9, 6), POLICY)
    assert semester_at(date(2027, 1, 20), POLICY) is None and in_vacation(date(2027, 1, 20), POLICY)
    assert semester_at(date(2026, 5, 20), POLICY) == POLICY.semesters[0]
    assert not in_vacation(date(2026, 11, 23), POLICY)
    assert semester_at(date(2028, 1, 1), POLICY) is None and not in_vacation(
        date(2028, 1, 1), POLICY
    )


def test_academic_year_end_is_the_graduating_class() -> None:
    assert academic_year_end(date(2026, 5, 20), POLICY) == 2026
    assert academic_year_end(date(2026, 8, 1), POLICY) == 2026  # summer after spring 2026
    assert academic_year_end(date(2026, 11, 23), POLICY) == 2027
    assert academic_year_end(date(2027, 3, 10), POLICY) == 2027
    assert academic_year_end(date(2025, 10, 1), POLICY) == 2026  # before the calendar


def test_period_bounds() -> None:
    week = period_bounds(date(2026, 11, 25), "week", policy=POLICY, tz=TZ)
    december = period_bounds(date(2026, 12, 31), "month", policy=POLICY, tz=TZ)
    february = period_bounds(date(2027, 2, 10), "month", policy=POLICY, tz=TZ)
    semester = period_bounds(date(2026, 11, 25), "semester", policy=POLICY, tz=TZ)

    assert week == (at(2026, 11, 23), at(2026, 11, 30))
    assert december == (at(2026, 12, 1), at(2027, 1, 1))
    assert february == (at(2027, 2, 1), at(2027, 3, 1))
    assert semester == (at(2026, 9, 7), at(2027, 1, 18))
    assert period_bounds(date(2027, 2, 10), "semester", policy=POLICY, tz=TZ) is None


def test_rules_that_rest_in_vacations() -> None:
    winter, term = date(2027, 2, 1), date(2026, 11, 23)

    assert not rule_applies(POLICY.rule("dorm_visit"), winter, policy=POLICY)
    assert rule_applies(POLICY.rule("dorm_visit"), term, policy=POLICY)
    assert rule_applies(POLICY.rule("talk"), winter, policy=POLICY)
    assert not rule_applies(POLICY.rule("academic_tutoring"), winter, policy=POLICY)
    assert rule_applies(POLICY.rule("academic_tutoring"), term, policy=POLICY)


def test_holiday_blocks_2026_from_chinesecalendar() -> None:
    blocks = {b.name: DateRange(b.start, b.end) for b in statutory_holidays(2026, POLICY)}

    assert blocks["国庆节"] == DateRange(date(2026, 10, 1), date(2026, 10, 7))
    assert blocks["中秋节"] == DateRange(date(2026, 9, 25), date(2026, 9, 27))
    assert blocks["春节"] == DateRange(date(2026, 2, 15), date(2026, 2, 23))
    assert set(blocks) == {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}


def test_holiday_blocks_need_the_minimum_length() -> None:
    longer = replace(POLICY, key_periods=replace(POLICY.key_periods, holiday_min_days=5))

    names = [b.name for b in statutory_holidays(2026, longer)]

    assert names == ["春节", "劳动节", "国庆节"]


def test_holiday_blocks_2027_come_from_the_policy() -> None:
    blocks = {b.name: DateRange(b.start, b.end) for b in statutory_holidays(2027, POLICY)}

    assert blocks["元旦"] == DateRange(date(2027, 1, 1), date(2027, 1, 3))
    assert blocks["春节"] == DateRange(date(2027, 2, 5), date(2027, 2, 8))
    assert "劳动节" not in blocks  # 1-2 May 2027 is a weekend: too short until announced


def test_key_periods_of_the_autumn_semester() -> None:
    autumn = POLICY.semesters[1]

    found = {p.name: p.span for p in key_periods(POLICY, start=autumn.start, end=autumn.end)}

    assert found["暑假返校"] == DateRange(date(2026, 9, 7), date(2026, 9, 13))
    assert found["国庆节前"] == DateRange(date(2026, 9, 24), date(2026, 9, 30))
    assert found["国庆节后返校"] == DateRange(date(2026, 10, 8), date(2026, 10, 14))
    assert found["中秋节后返校"] == DateRange(date(2026, 9, 28), date(2026, 9, 30))
    assert found["考前"] == DateRange(date(2026, 12, 28), date(2027, 1, 3))
    assert found["元旦前"] == DateRange(date(2026, 12, 25), date(2026, 12, 31))
    assert "春节前" not in found  # inside the winter vacation


def test_key_period_at_a_day() -> None:
    before_exam = key_period_at(date(2026, 12, 29), POLICY)
    after_holiday = key_period_at(date(2026, 10, 9), POLICY)

    assert before_exam is not None and before_exam.name == "考前"  # began after 元旦前
    assert after_holiday is not None and after_holiday.name == "国庆节后返校"
    assert after_holiday.cause == DateRange(date(2026, 10, 1), date(2026, 10, 7))
    assert key_period_at(date(2026, 11, 23), POLICY) is None
    assert key_period_at(date(2027, 2, 1), POLICY) is None  # vacation
    spring = key_period_at(date(2027, 3, 2), POLICY)
    assert spring is not None and (spring.name, spring.reason) == (
        "寒假返校",
        "2026-2027学年第二学期开学",
    )


def test_key_periods_follow_the_configured_days() -> None:
    short = replace(
        POLICY, key_periods=replace(POLICY.key_periods, days_before=3, return_week_days=2)
    )

    found = {
        p.name: p.span for p in key_periods(short, start=date(2026, 9, 20), end=date(2026, 10, 31))
    }

    assert found["国庆节前"] == DateRange(date(2026, 9, 28), date(2026, 9, 30))
    assert found["国庆节后返校"] == DateRange(date(2026, 10, 8), date(2026, 10, 9))
