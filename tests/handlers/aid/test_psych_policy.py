"""The policy file's [psych] section: the seed's events by default, the shipped file's names
and booking text, and a precise message for every mistake; and when an event is announced."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from handlers.aid.psych import announcement_due
from handlers.policy.load import PolicyError, load_policy, parse_policy
from handlers.policy.model import Psych, PsychEvent
from tests.fakes.clock import SHANGHAI

BASE = """
[[semester]]
name = "2026-2027学年第一学期"
start = 2026-09-07
end = 2027-01-17
"""


def problems(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    return caught.value.problems


def test_without_the_section_the_seeds_dates_and_a_week_ahead() -> None:
    psych = parse_policy(BASE).psych

    assert [(e.month, e.day) for e in psych.events] == [(3, 20), (5, 25), (12, 5)]
    assert (psych.announce_days_before, psych.booking) == (7, "")


def test_the_shipped_file_names_the_events_and_how_to_book() -> None:
    psych = load_policy().psych

    names = ["“3.20”心理健康周", "“5.25”心理健康月", "“12.5”心理健康节"]
    assert [e.name for e in psych.events] == names
    assert "预约" in psych.booking


def test_configured_events_are_sorted_and_replace_the_defaults() -> None:
    text = (
        BASE
        + """
[psych]
announce_days_before = 10
booking = "拨打 0512-1234 预约"
events = [{ date = "10-10", name = "世界精神卫生日" }, { date = "05-25" }]
"""
    )
    psych = parse_policy(text).psych

    assert psych.events == (PsychEvent(5, 25, ""), PsychEvent(10, 10, "世界精神卫生日"))
    assert (psych.announce_days_before, psych.booking) == (10, "拨打 0512-1234 预约")


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ('events = [{ date = "02-30" }]', '"date" 应写成 "MM-DD"'),
        ('events = [{ date = "02-29" }]', '不能是 "02-29"'),
        ('events = [{ date = "5-25" }]', '不能是 "5-25"'),
        ('events = [{ date = "05-25" }, { date = "05-25" }]', '"05-25" 写了两次'),
        ('events = [{ day = "05-25" }]', '未知的键 "day"'),
        ('events = "05-25"', "[[events]] 表数组"),
        ("announce_days_before = 0", '"announce_days_before" 应是正整数'),
        ("announce_days_before = 90", "最多提前 60 天"),
        ('hotline = "110"', '未知的键 "hotline"'),
    ],
)
def test_mistakes_are_named(section: str, expected: str) -> None:
    found = problems(BASE + "\n[psych]\n" + section + "\n")

    assert any(expected in line and line.startswith("psych") for line in found), found


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def test_an_event_is_announced_within_the_week_before_it_by_day_only() -> None:
    policy = parse_policy(BASE)
    event = PsychEvent(12, 5)

    assert announcement_due(_at(date(2026, 11, 27), 9), policy, tz=SHANGHAI) == []
    assert announcement_due(_at(date(2026, 11, 28), 9), policy, tz=SHANGHAI) == [
        (date(2026, 12, 5), event)
    ]
    assert announcement_due(_at(date(2026, 12, 4), 12), policy, tz=SHANGHAI) != []
    assert announcement_due(_at(date(2026, 12, 5), 12), policy, tz=SHANGHAI) == []
    assert announcement_due(_at(date(2026, 11, 28), 8, 0), policy, tz=SHANGHAI) == []
    assert announcement_due(_at(date(2026, 11, 28), 22, 0), policy, tz=SHANGHAI) == []


def test_the_next_events_wrap_into_the_next_year() -> None:
    upcoming = Psych().upcoming(date(2026, 12, 6))

    assert [day for day, _ in upcoming] == [date(2027, 3, 20), date(2027, 5, 25), date(2027, 12, 5)]
