"""The policy file: shipped defaults, and a precise message for every kind of mistake."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from handlers.policy import (
    Cadence,
    DateRange,
    PolicyError,
    QuietHours,
    load_policy,
    parse_policy,
)

BASE = """
[[rule]]
id = "talk"
title = "谈心谈话"
students = "special"
responsible = "team"
kinds = ["谈心谈话"]
cadence = { every_days = 15 }

[[semester]]
name = "2026-2027学年第一学期"
start = 2026-09-07
end = 2027-01-17
exam_weeks = [[2027-01-04, 2027-01-15]]
vacations = [[2027-01-18, 2027-02-28]]
"""

RULE = """
[[rule]]
id = "extra"
title = "额外规则"
students = "special"
responsible = "student_affairs"
kinds = ["走访寝室"]
cadence = { times = 2, per = "month" }
"""

SPRING = """
[[semester]]
name = "2026-2027学年第二学期"
start = 2027-03-01
end = 2027-07-11
"""


def problems(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    return caught.value.problems


def test_shipped_defaults_load_with_the_seed_rules() -> None:
    policy = load_policy(None)

    assert [rule.id for rule in policy.rules] == [
        "talk",
        "dorm_visit",
        "weekly_report",
        "academic_tutoring",
        "psych_survey",
        "employment_guidance",
    ]
    talk = policy.rule("talk")
    assert (talk.responsible, talk.remind, talk.cadence) == (
        "team",
        "student_affairs",
        Cadence(every_days=15),
    )
    assert "谈心谈话" in talk.kinds and talk.vacation
    dorm = policy.rule("dorm_visit")
    assert dorm.cadence == Cadence(times=2, per="month") and not dorm.vacation
    weekly = policy.rule("weekly_report")
    assert weekly.students == "key_attention" and weekly.counts_weekly_reports
    assert policy.rule("employment_guidance").students == "graduating"
    assert policy.rule("psych_survey").cadence == Cadence(times=1, per="semester")


def test_shipped_calendar_covers_spring_2026_to_summer_2027() -> None:
    policy = load_policy(None)

    assert [s.start for s in policy.semesters] == [
        date(2026, 3, 2),
        date(2026, 9, 7),
        date(2027, 3, 1),
    ]
    autumn = policy.semesters[1]
    assert autumn.exam_weeks == (DateRange(date(2027, 1, 4), date(2027, 1, 15)),)
    assert autumn.vacations == (DateRange(date(2027, 1, 18), date(2027, 2, 28)),)
    assert autumn.survey_weeks == DateRange(date(2026, 9, 7), date(2026, 9, 20))
    assert autumn.ledger_deadline == date(2026, 10, 15)
    assert policy.semesters[2].ledger_deadline == date(2027, 3, 19)
    assert (autumn.season, autumn.academic_year_end) == ("autumn", 2027)


def test_shipped_schedule_escalation_and_calendar() -> None:
    policy = load_policy(None)

    assert policy.schedule.digest_time == time(8, 30)
    assert policy.schedule.quiet_hours == QuietHours(time(21, 30), time(7, 30))
    assert policy.escalation.nudge_days(key_attention=False) == 3
    assert policy.escalation.admin_summary_days(key_attention=False) == 7
    assert policy.escalation.nudge_days(key_attention=True) == 1
    assert policy.escalation.admin_summary_days(key_attention=True) == 3
    assert date(2027, 1, 1) in policy.calendar.extra_holidays
    assert policy.key_periods.days_before == 7 and policy.key_periods.return_week_days == 7


def test_a_minimal_file_takes_defaults_for_the_optional_sections(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(BASE, "utf-8")

    policy = load_policy(path)

    assert policy.schedule.digest_time == time(8, 30)
    assert policy.calendar.extra_holidays == frozenset()
    assert policy.rule("talk").remind == "student_affairs"


def test_unknown_visit_kind_is_named() -> None:
    found = problems(BASE.replace('kinds = ["谈心谈话"]', 'kinds = ["谈心"]'))

    assert len(found) == 1
    assert found[0].startswith(
        'rule[1]: "kinds" has unknown visit kind "谈心"; known kinds: 谈心谈话'
    )


def test_weekly_report_kind_stands_alone() -> None:
    found = problems(BASE.replace('kinds = ["谈心谈话"]', 'kinds = ["周报", "谈心谈话"]'))

    assert found == ['rule[1]: "kinds": "周报" cannot be combined with visit kinds']


def test_unknown_category_is_named() -> None:
    found = problems(BASE.replace('students = "special"', 'students = "category:alien"'))

    assert len(found) == 1
    assert found[0].startswith('rule[1]: "students" names unknown category "alien"; known codes:')


def test_known_category_scope() -> None:
    policy = parse_policy(BASE.replace('students = "special"', 'students = "category:orphan"'))

    assert (policy.rules[0].students, policy.rules[0].category) == ("category", "orphan")


@pytest.mark.parametrize(
    ("cadence", "message"),
    [
        ('{ times = 0, per = "week" }', 'rule[2].cadence: "times" must be a positive integer'),
        (
            '{ times = 2, per = "fortnight" }',
            'rule[2].cadence: "per" must be one of "week", "month", "semester", not "fortnight"',
        ),
        ("{ times = 2 }", 'rule[2].cadence: needs "every_days" (rolling) or "per"'),
        (
            '{ every_days = 15, per = "month" }',
            'rule[2].cadence: use either "every_days" or "times" with "per", not both',
        ),
        ("{ every_days = 1.5 }", 'rule[2].cadence: "every_days" must be a positive integer'),
    ],
)
def test_bad_cadence(cadence: str, message: str) -> None:
    rule = RULE.replace('{ times = 2, per = "month" }', cadence)

    found = problems(BASE + rule)

    assert len(found) == 1 and found[0].startswith(message)


def test_missing_cadence_and_duplicate_id() -> None:
    rule = RULE.replace('id = "extra"', 'id = "talk"').replace(
        'cadence = { times = 2, per = "month" }', ""
    )

    found = problems(BASE + rule)

    assert found == [
        'rule[2]: "cadence" is required, e.g. { every_days = 15 } or { times = 2, per = "month" }',
        'rule[2]: duplicate "id" "talk" (also rule[1])',
    ]


def test_remind_must_match_a_single_responsible_seat() -> None:
    rule = RULE.replace('responsible = "student_affairs"', 'responsible = "academic_mentor"')

    found = problems(BASE + rule + 'remind = "peer_mentor"\n')

    assert found == [
        'rule[2]: "remind" may differ from "responsible" only when responsible is "team"'
    ]


def test_typos_in_keys_are_reported() -> None:
    found = problems(BASE + RULE + "vacations = false\n")

    assert found[0].startswith('rule[2]: unknown key "vacations"; expected one of: id, title')


def test_overlapping_semesters() -> None:
    overlap = SPRING.replace("start = 2027-03-01", "start = 2027-01-10")

    found = problems(BASE + overlap)

    assert found == [
        'semester[2]: "2026-2027学年第二学期" (2027-01-10 to 2027-07-11) overlaps semester[1]'
        ' "2026-2027学年第一学期" (2026-09-07 to 2027-01-17)'
    ]


def test_a_vacation_may_not_run_into_the_next_semester() -> None:
    found = problems(BASE.replace("2027-02-28", "2027-03-05") + SPRING)

    assert found == [
        'semester[1]: a vacation of "2026-2027学年第一学期" runs into semester[2]'
        ' "2026-2027学年第二学期", which starts 2027-03-01'
    ]


def test_semester_dates_in_order_and_exams_inside() -> None:
    swapped = SPRING.replace("end = 2027-07-11", "end = 2027-02-01")
    outside = BASE.replace("[[2027-01-04, 2027-01-15]]", "[[2026-09-01, 2026-09-10]]")

    assert problems(BASE + swapped) == [
        'semester[2]: "end" (2027-02-01) must be after "start" (2027-03-01)'
    ]
    assert problems(outside) == [
        'semester[1]: "exam_weeks" entry 1 (2026-09-01 to 2026-09-10) must lie within the'
        " semester (2026-09-07 to 2027-01-17)"
    ]


def test_bad_date_range_and_missing_dates() -> None:
    found = problems(
        BASE.replace("[[2027-01-04, 2027-01-15]]", "[[2027-01-15, 2027-01-04]]").replace(
            "start = 2026-09-07\n", ""
        )
    )

    assert found == [
        'semester[1]: "start" is required',
        'semester[1]: "exam_weeks" entry 1 must be [start, end] dates with start on or before end,'
        " not [2027-01-15, 2027-01-04]",
    ]


def test_ledger_deadline_month_day_and_range() -> None:
    policy = parse_policy(BASE.replace('name = "2026', 'ledger_deadline = "11-01"\nname = "2026'))
    found = problems(BASE.replace('name = "2026', 'ledger_deadline = "03-19"\nname = "2026'))

    assert policy.semesters[0].ledger_deadline == date(2026, 11, 1)
    assert found == [
        'semester[1]: "ledger_deadline" (2026-03-19) must fall within the semester'
        " (2026-09-07 to 2027-01-17); set it in this [[semester]]"
    ]


def test_at_least_one_semester() -> None:
    found = problems(BASE.split("[[semester]]")[0])

    assert found == ["policy file: at least one [[semester]] is required (the academic calendar)"]


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (
            'digest_time = "25:00"',
            'schedule: "digest_time" must be a time "HH:MM" (24-hour), not "25:00"',
        ),
        (
            'quiet_hours = "21:30"',
            'schedule: "quiet_hours" must be "HH:MM-HH:MM" with two different times,'
            ' e.g. "21:30-07:30"',
        ),
        (
            'digest_time = "22:00"',
            'schedule: "digest_time" 22:00 falls in "quiet_hours" 21:30-07:30',
        ),
        ('working_days_only = "yes"', 'schedule: "working_days_only" must be true or false'),
    ],
)
def test_bad_schedule(schedule: str, message: str) -> None:
    assert problems(BASE + f"[schedule]\n{schedule}\n") == [message]


def test_escalation_ladder_must_climb() -> None:
    found = problems(BASE + "[escalation]\nkey_attention_admin_summary_after_days = 0\n")
    ladder = problems(BASE + "[escalation]\nnudge_after_days = 9\n")

    assert found == [
        'escalation: "key_attention_admin_summary_after_days" must be a positive integer'
    ]
    assert ladder == [
        'escalation: "admin_summary_after_days" (7) must not be less than "nudge_after_days" (9)'
    ]


def test_calendar_overrides() -> None:
    good = parse_policy(
        BASE + "[calendar]\nextra_holidays = [2027-06-09]\nextra_workdays = [2027-06-12]\n"
        '[calendar.holiday_names]\n2027-06-09 = "端午节"\n'
    )
    found = problems(
        BASE + '[calendar]\nextra_holidays = [2027-06-09, "soon"]\nextra_workdays = [2027-06-09]\n'
        '[calendar.holiday_names]\n2027-06-10 = "端午节"\n'
    )

    assert good.calendar.extra_workdays == frozenset({date(2027, 6, 12)})
    assert good.calendar.holiday_names == ((date(2027, 6, 9), "端午节"),)
    assert found == [
        'calendar: "extra_holidays" must list dates (YYYY-MM-DD), not "soon"',
        'calendar: 2027-06-09 is in both "extra_holidays" and "extra_workdays"',
        'calendar.holiday_names: "2027-06-10" must be a date listed in "extra_holidays"',
    ]


def test_every_problem_is_reported_at_once() -> None:
    text = (
        BASE.replace('kinds = ["谈心谈话"]', 'kinds = ["谈心"]')
        + "[schedule]\ndigest_time = 830\n"
        + "[safety]\nwords = []\n"
    )

    found = problems(text)

    assert len(found) == 3
    assert found[0].startswith('policy file: unknown key "safety"')


def test_unreadable_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[[rule]\n", "utf-8")

    with pytest.raises(PolicyError) as missing:
        load_policy(tmp_path / "absent.toml")
    with pytest.raises(PolicyError) as invalid:
        load_policy(broken)

    assert missing.value.problems == [f"{tmp_path / 'absent.toml'}: file not found"]
    assert invalid.value.problems[0].startswith(f"{broken}: not valid TOML:")
