"""The policy file: shipped defaults, and a precise message for every kind of mistake."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from handlers.policy.load import (
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
        "academic_warning_tutoring",
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
        'rule[1]："kinds" 里的帮扶方式 "谈心" 不存在；可用的方式：谈心谈话、'
    )


def test_weekly_report_kind_stands_alone() -> None:
    found = problems(BASE.replace('kinds = ["谈心谈话"]', 'kinds = ["周报", "谈心谈话"]'))

    assert found == ['rule[1]："kinds" 里的 "周报" 不能和其他帮扶方式写在一起。']


def test_unknown_category_is_named() -> None:
    found = problems(BASE.replace('students = "special"', 'students = "category:alien"'))

    assert len(found) == 1
    assert found[0].startswith(
        'rule[1]："students" 里的类别代码 "alien" 不存在；可用的代码：orphan'
    )


def test_known_category_scope() -> None:
    policy = parse_policy(BASE.replace('students = "special"', 'students = "category:orphan"'))

    assert (policy.rules[0].students, policy.rules[0].category) == ("category", "orphan")


@pytest.mark.parametrize(
    ("cadence", "message"),
    [
        ('{ times = 0, per = "week" }', 'rule[2].cadence："times" 应是正整数'),
        (
            '{ times = 2, per = "fortnight" }',
            'rule[2].cadence："per" 只能是 "week"、"month"、"semester" 之一，不能是 "fortnight"。',
        ),
        ("{ times = 2 }", 'rule[2].cadence：需要 "every_days"（滚动天数）或 "per"'),
        (
            '{ every_days = 15, per = "month" }',
            'rule[2].cadence："every_days" 和 "times"/"per" 只能二选一。',
        ),
        ("{ every_days = 1.5 }", 'rule[2].cadence："every_days" 应是正整数'),
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
        'rule[2]：缺少 "cadence"，例如 { every_days = 15 } 或 { times = 2, per = "month" }。',
        'rule[2]："id" 的值 "talk" 重复了（rule[1] 也用了它）。',
    ]


def test_remind_must_match_a_single_responsible_seat() -> None:
    rule = RULE.replace('responsible = "student_affairs"', 'responsible = "academic_mentor"')

    found = problems(BASE + rule + 'remind = "peer_mentor"\n')

    assert found == ['rule[2]：只有 "responsible" 为 "team" 时，"remind" 才能和它不同。']


def test_typos_in_keys_are_reported() -> None:
    found = problems(BASE + RULE + "vacations = false\n")

    assert found[0].startswith('rule[2]：未知的键 "vacations"，可用的键：id, title')


def test_overlapping_semesters() -> None:
    overlap = SPRING.replace("start = 2027-03-01", "start = 2027-01-10")

    found = problems(BASE + overlap)

    assert found == [
        'semester[2]："2026-2027学年第二学期"（2027-01-10 至 2027-07-11）和 semester[1]'
        ' "2026-2027学年第一学期"（2026-09-07 至 2027-01-17）重叠了。'
    ]


def test_a_vacation_may_not_run_into_the_next_semester() -> None:
    found = problems(BASE.replace("2027-02-28", "2027-03-05") + SPRING)

    assert found == [
        'semester[1]："2026-2027学年第一学期" 的假期延伸到了 semester[2]'
        ' "2026-2027学年第二学期" 里（它 2027-03-01 开始）。'
    ]


def test_semester_dates_in_order_and_exams_inside() -> None:
    swapped = SPRING.replace("end = 2027-07-11", "end = 2027-02-01")
    outside = BASE.replace("[[2027-01-04, 2027-01-15]]", "[[2026-09-01, 2026-09-10]]")

    assert problems(BASE + swapped) == [
        'semester[2]："end"（2027-02-01）应晚于 "start"（2027-03-01）。'
    ]
    assert problems(outside) == [
        'semester[1]："exam_weeks" 第 1 项（2026-09-01 至 2026-09-10）应在学期之内'
        "（2026-09-07 至 2027-01-17）。"
    ]


def test_bad_date_range_and_missing_dates() -> None:
    found = problems(
        BASE.replace("[[2027-01-04, 2027-01-15]]", "[[2027-01-15, 2027-01-04]]").replace(
            "start = 2026-09-07\n", ""
        )
    )

    assert found == [
        'semester[1]：缺少 "start"，这一项必须填写。',
        'semester[1]："exam_weeks" 第 1 项应是 [开始, 结束] 两个日期且开始不晚于结束，'
        "不能是 [2027-01-15, 2027-01-04]。",
    ]


def test_ledger_deadline_month_day_and_range() -> None:
    policy = parse_policy(BASE.replace('name = "2026', 'ledger_deadline = "11-01"\nname = "2026'))
    found = problems(BASE.replace('name = "2026', 'ledger_deadline = "03-19"\nname = "2026'))

    assert policy.semesters[0].ledger_deadline == date(2026, 11, 1)
    assert found == [
        'semester[1]："ledger_deadline"（2026-03-19）应在学期之内（2026-09-07 至 2027-01-17），'
        "请在这个 [[semester]] 里设置。"
    ]


def test_at_least_one_semester() -> None:
    found = problems(BASE.split("[[semester]]")[0])

    assert found == ["策略文件：至少要有一个 [[semester]]（学期日历）。"]


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (
            'digest_time = "25:00"',
            'schedule："digest_time" 应是 24 小时制的时间 "HH:MM"（例如 "08:30"），'
            '不能是 "25:00"。',
        ),
        (
            'quiet_hours = "21:30"',
            'schedule："quiet_hours" 应写成两个不同的时间 "HH:MM-HH:MM"，例如 "21:30-07:30"。',
        ),
        (
            'digest_time = "22:00"',
            'schedule："digest_time" 22:00 落在 "quiet_hours" 21:30-07:30 里，提醒发不出去。',
        ),
        (
            'working_days_only = "yes"',
            'schedule："working_days_only" 只能是 true 或 false（不加引号）。',
        ),
    ],
)
def test_bad_schedule(schedule: str, message: str) -> None:
    assert problems(BASE + f"[schedule]\n{schedule}\n") == [message]


def test_escalation_ladder_must_climb() -> None:
    found = problems(BASE + "[escalation]\nkey_attention_admin_summary_after_days = 0\n")
    ladder = problems(BASE + "[escalation]\nnudge_after_days = 9\n")

    assert found == [
        'escalation："key_attention_admin_summary_after_days" 应是正整数（1、2、3……，不加引号）。'
    ]
    assert ladder == [
        'escalation："admin_summary_after_days"（7）不能小于 "nudge_after_days"（9）。'
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
        'calendar："extra_holidays" 里应列出 YYYY-MM-DD 格式的日期，不能有 "soon"。',
        'calendar：2027-06-09 同时写在了 "extra_holidays" 和 "extra_workdays" 里。',
        'calendar.holiday_names："2027-06-10" 应是 "extra_holidays" 里列出的日期。',
    ]


def test_every_problem_is_reported_at_once() -> None:
    text = (
        BASE.replace('kinds = ["谈心谈话"]', 'kinds = ["谈心"]')
        + "[schedule]\ndigest_time = 830\n"
        + "[safety]\nwords = []\n"
    )

    found = problems(text)

    assert len(found) == 3
    assert found[0].startswith('策略文件：未知的键 "safety"')


def test_unreadable_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[[rule]\n", "utf-8")

    with pytest.raises(PolicyError) as missing:
        load_policy(tmp_path / "absent.toml")
    with pytest.raises(PolicyError) as invalid:
        load_policy(broken)

    assert missing.value.problems == [
        f"{tmp_path / 'absent.toml'}：找不到这个文件，请检查路径和文件名。"
    ]
    assert invalid.value.problems == [
        f"{broken} 第 1 行第 7 列：方括号 [ ] 或花括号 {{ }} 没有闭合，请补上。"
    ]
