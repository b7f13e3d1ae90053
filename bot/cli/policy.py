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

from bot.cli.help import help_for
from handlers.policy import calendar
from handlers.policy.calendar import calendar_coverage, semester_at
from handlers.policy.load import Policy, PolicyError, load_policy, vocabulary
from handlers.policy.periods import key_periods
from messages.render import render

policy_app = typer.Typer(no_args_is_help=True, help=help_for("policy"))


def register(app: typer.Typer) -> None:
    """Attach `carebot policy` to the main CLI."""
    app.add_typer(policy_app, name="policy")


@policy_app.command("check", help=help_for("policy check"))
def check(
    file: Annotated[
        Path | None,
        typer.Option("--file", envvar="CAREBOT_POLICY_FILE", help=help_for("policy check --file")),
    ] = None,
    today: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help=help_for("policy check --today")),
    ] = None,
    timezone: Annotated[
        str, typer.Option(envvar="CAREBOT_TIMEZONE", help=help_for("policy check --timezone"))
    ] = "Asia/Shanghai",
) -> None:
    """Check the policy file: every problem, or a summary of what it says."""
    tz = _zone(timezone)
    source = str(file) if file else render("cli_policy_shipped")
    try:
        policy = load_policy(file)
    except PolicyError as exc:
        findings = render("cli_policy_findings", file=source, problems=exc.problems)
        typer.echo(findings, err=True)
        raise typer.Exit(1) from None
    day = today.date() if today else datetime.now(tz).date()
    with _without_fallback_warnings():
        typer.echo(summary(policy, source=source, today=day))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        typer.echo(render("cli_unknown_timezone", name=name), err=True)
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


def summary(policy: Policy, *, source: str, today: date) -> str:
    """The whole policy in readable Chinese, one fact per line (cli_policy_summary.j2)."""
    semester = semester_at(today, policy)
    upcoming = semester is None
    if semester is None:
        semester = next((s for s in policy.semesters if s.start > today), None)
    periods = (
        [] if semester is None else key_periods(policy, start=semester.start, end=semester.end)
    )
    reminded = {rule.remind for rule in policy.rules} | {policy.key_periods.remind}
    return render(
        "cli_policy_summary",
        policy=policy,
        source=source,
        today=today,
        semester=semester,
        upcoming=upcoming,
        periods=periods,
        categories=vocabulary().categories,
        seats={remind: render(f"seat_{remind}") for remind in reminded},
        notes=calendar_coverage(policy, calendar_years(policy)),
    )


def calendar_years(policy: Policy) -> range:
    """The years the semester calendar (vacations included) touches."""
    ends = [v.end for s in policy.semesters for v in s.vacations] + [
        s.end for s in policy.semesters
    ]
    return range(policy.semesters[0].start.year, max(ends).year + 1)
