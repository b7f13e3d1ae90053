"""The policy's [academic_warning] thresholds, the "academic_warning" rule scope, and how a
semester is named in a grades file (semester_named)."""

from __future__ import annotations

import pytest

from handlers.policy.calendar import semester_named
from handlers.policy.load import PolicyError, load_policy, parse_policy
from storage.academic.standing import WarningThresholds

BASE = """
[[semester]]
name = "2026-2027学年第一学期"
start = 2026-09-07
end = 2027-01-17

[[semester]]
name = "2026-2027学年第二学期"
start = 2027-03-01
end = 2027-07-11
"""


def problems(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    return caught.value.problems


def test_the_seeds_thresholds_by_default_and_in_the_shipped_file() -> None:
    assert parse_policy(BASE).academic_warning == WarningThresholds(6, 15, True)
    assert load_policy().academic_warning == WarningThresholds(6, 15, True)


def test_the_thresholds_are_read_and_checked() -> None:
    text = BASE + "[academic_warning]\nyellow_failed_credits = 4\nred_failed_credits = 10\n"
    text += "red_on_failed_degree_course = false\n"
    assert parse_policy(text).academic_warning == WarningThresholds(4, 10, False)
    assert problems(
        BASE + "[academic_warning]\nyellow_failed_credits = 8\nred_failed_credits = 6\n"
    ) == ['academic_warning："red_failed_credits"（6）不能小于 "yellow_failed_credits"（8）。']
    assert problems(BASE + "[academic_warning]\nyellow = 3\nred_failed_credits = 0\n") == [
        'academic_warning：未知的键 "yellow"，可用的键：yellow_failed_credits, '
        "red_failed_credits, red_on_failed_degree_course。",
        'academic_warning："red_failed_credits" 应是正整数（1、2、3……，不加引号）。',
    ]


def test_the_shipped_tutoring_rule_covers_open_warnings_every_two_weeks() -> None:
    rule = load_policy().rule("academic_warning_tutoring")
    assert (rule.students, rule.remind, rule.kinds, rule.cadence.every_days) == (
        "academic_warning", "academic_mentor", ("学业辅导",), 14,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("2026-2027学年第一学期", "2026-2027学年第一学期"),
        (" 2026-2027学年第二学期 ", "2026-2027学年第二学期"),
        ("2026-秋", "2026-2027学年第一学期"),
        ("2027-春", "2026-2027学年第二学期"),
        ("2026秋", "2026-2027学年第一学期"),
        ("2027年春季学期", "2026-2027学年第二学期"),
        ("2026-春", None),
        ("2027-秋", None),
        ("第一学期", None),
        ("", None),
    ],
)
def test_a_semester_by_its_name_or_its_short_form(written: str, meant: str | None) -> None:
    found = semester_named(written, parse_policy(BASE))
    assert (found.name if found else None) == meant
