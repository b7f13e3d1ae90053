"""`carebot policy check`: validate the policy file and summarise it in Chinese."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from handlers.policy import calendar
from handlers.policy.calendar import calendar_coverage, semester_at
from handlers.policy.load import (
    Cadence,
    DateRange,
    KeyPeriods,
    Policy,
    PolicyError,
    Rule,
    Semester,
    load_policy,
    vocabulary,
)
from handlers.policy.periods import KeyPeriod, key_periods
from messages.render import render

policy_app = typer.Typer(
    no_args_is_help=True, help="策略文件：提醒规则、学期日历、提醒时间和升级阈值。"
)

SHIPPED = "内置默认策略（storage/data/policy.toml）"
SCOPES = {
    "special": "所有特殊群体学生",
    "key_attention": "重点关注学生",
    "graduating": "毕业年级学生",
}
PERIODS = {"week": "每周", "month": "每月", "semester": "每学期"}


def register(app: typer.Typer) -> None:
    """Attach `carebot policy` to the main CLI."""
    app.add_typer(policy_app, name="policy")


@policy_app.command("check")
def check(
    file: Annotated[
        Path | None,
        typer.Option("--file", envvar="CAREBOT_POLICY_FILE", help="策略文件（默认内置策略）"),
    ] = None,
    today: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="按这一天确定当前学期（默认今天）"),
    ] = None,
    timezone: Annotated[
        str, typer.Option(envvar="CAREBOT_TIMEZONE", help="时区")
    ] = "Asia/Shanghai",
) -> None:
    """检查策略文件，列出全部问题；无误时打印规则、学期日历和提醒设置的摘要。"""
    tz = _zone(timezone)
    try:
        policy = load_policy(file)
    except PolicyError as exc:
        findings = render("cli_policy_findings", file=file or SHIPPED, problems=exc.problems)
        typer.echo(findings, err=True)
        raise typer.Exit(1) from None
    day = today.date() if today else datetime.now(tz).date()
    with _without_fallback_warnings():
        lines = summary(policy, source=str(file) if file else SHIPPED, today=day)
    for line in lines:
        typer.echo(line)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        typer.echo(f"未知时区：{name}", err=True)
        raise typer.Exit(2) from None


@contextmanager
def _without_fallback_warnings() -> Iterator[None]:
    """The summary's 日历数据 section says in Chinese what the calendar's log warning says."""
    logger = logging.getLogger(calendar.__name__)
    previous = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = previous


def summary(policy: Policy, *, source: str, today: date) -> list[str]:
    """The whole policy in readable Chinese, one fact per line."""
    return [
        f"策略文件：{source}",
        "检查通过。",
        "",
        "提醒规则：",
        *(f"  {rule_line(rule)}" for rule in policy.rules),
        f"  {key_periods_line(policy.key_periods)}",
        "",
        "学期日历：",
        *(line for semester in policy.semesters for line in semester_lines(semester)),
        "",
        *current_periods(policy, today),
        "",
        *schedule_lines(policy),
        "",
        "日历数据：",
        *(f"  {note}" for note in calendar_coverage(policy, calendar_years(policy))),
    ]


def rule_line(rule: Rule) -> str:
    """谈心谈话：所有特殊群体学生，团队任一成员，学工教师提醒，每 15 天至少 1 次（计入：…）"""
    vacation = "" if rule.vacation else "，假期暂停"
    return (
        f"{rule.title}：{_students(rule.students, rule.category)}，"
        f"{_responsible(rule.responsible, rule.remind)}，{_cadence(rule.cadence)}{vacation}"
        f"（计入：{'、'.join(rule.kinds)}）"
    )


def key_periods_line(periods: KeyPeriods) -> str:
    return (
        f"{periods.title}：{_students(periods.students, periods.category)}，"
        f"{_responsible(periods.responsible, periods.remind)}，"
        f"考试周和 {periods.holiday_min_days} 天以上节假日前 {periods.days_before} 天内、"
        f"节后和开学后 {periods.return_week_days} 天内各至少 1 次"
        f"（计入：{'、'.join(periods.kinds)}）"
    )


def _students(scope: str, category: str | None) -> str:
    if category is not None:
        return f"{vocabulary().categories.get(category, category)}学生"
    return SCOPES.get(scope, scope)


def _responsible(responsible: str, remind: str) -> str:
    seat = render(f"seat_{remind}")
    return f"团队任一成员，{seat}提醒" if responsible == "team" else f"{seat}负责"


def _cadence(cadence: Cadence) -> str:
    if cadence.every_days is not None:
        return f"每 {cadence.every_days} 天至少 1 次"
    return f"{PERIODS[cadence.per or 'semester']}至少 {cadence.times} 次"


def _range(days: DateRange) -> str:
    return f"{days.start} 至 {days.end}"


def semester_lines(semester: Semester) -> list[str]:
    ranges = {"考试周": semester.exam_weeks, "假期": semester.vacations}
    return [
        f"  {semester.name}：{semester.start} 至 {semester.end}",
        *(f"    {label}：{_range(days)}" for label, many in ranges.items() for days in many),
        f"    摸排：{_range(semester.survey_weeks)}",
        f"    台账截止：{semester.ledger_deadline}",
    ]


def current_periods(policy: Policy, today: date) -> list[str]:
    """Key periods of the semester containing `today`, or of the next one."""
    semester = semester_at(today, policy)
    label = "本学期"
    if semester is None:
        semester = next((s for s in policy.semesters if s.start > today), None)
        label = "下一学期"
    if semester is None:
        return [f"注意：策略文件中没有 {today} 及以后的学期，请添加新学期的日历。"]
    periods = key_periods(policy, start=semester.start, end=semester.end)
    return [
        f"{label}（{semester.name}）的重点时段：",
        *(f"  {_period_line(period)}" for period in periods),
    ]


def _period_line(period: KeyPeriod) -> str:
    cause = f" {_range(period.cause)}" if period.cause else ""
    return f"{period.name}：{_range(period.span)}（{period.reason}{cause}）"


def schedule_lines(policy: Policy) -> list[str]:
    schedule, escalation = policy.schedule, policy.escalation
    quiet = schedule.quiet_hours
    days = "每个工作日" if schedule.working_days_only else "每天"
    return [
        f"每日提醒：{days} {schedule.digest_time:%H:%M}；"
        f"免打扰：{quiet.start:%H:%M}-{quiet.end:%H:%M}",
        f"逾期升级：逾期 {escalation.nudge_after_days} 天在提醒中再次催办，"
        f"逾期 {escalation.admin_summary_after_days} 天列入学院管理员周汇总；"
        f"重点关注学生分别为 {escalation.key_attention_nudge_after_days} 天和 "
        f"{escalation.key_attention_admin_summary_after_days} 天",
    ]


def calendar_years(policy: Policy) -> range:
    """The years the semester calendar (vacations included) touches."""
    ends = [v.end for s in policy.semesters for v in s.vacations] + [
        s.end for s in policy.semesters
    ]
    return range(policy.semesters[0].start.year, max(ends).year + 1)
