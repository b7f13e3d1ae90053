"""`carebot audit`: the audit log as text, JSON or CSV (the query is itself audited), and the
database role's grants that `carebot db upgrade` applies (docs/audit.md)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer

from bot.cli.help import help_for
from messages.render import render

if TYPE_CHECKING:
    from bot.settings import Settings
    from storage.audit_query import AuditRow

FORMATS = ("text", "json", "csv")
FIELDS = (
    "at", "actor_code", "actor_name", "action", "subject_code", "channel", "account", "detail",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Filters:
    person: str | None
    student: str | None
    action: str | None
    since: date | None

    def detail(self, form: str) -> str:
        """The query as its own audit entry records it (codes and names of actions only)."""
        given = {"person": self.person, "student": self.student, "action": self.action}
        parts = [f"{key}={value}" for key, value in given.items() if value]
        if self.since:
            parts.append(f"since={self.since.isoformat()}")
        return " ".join([*parts, f"format={form}"])


class UnknownCode(Exception):
    def __init__(self, option: str, code: str) -> None:
        super().__init__(option)
        self.option = option
        self.code = code


def register(app: typer.Typer) -> None:
    app.command("audit", help=help_for("audit"))(audit_command)


def audit_command(
    person: Annotated[str | None, typer.Option("--person", help=help_for("audit --person"))] = None,
    student: Annotated[
        str | None, typer.Option("--student", help=help_for("audit --student"))
    ] = None,
    action: Annotated[str | None, typer.Option("--action", help=help_for("audit --action"))] = None,
    since: Annotated[str | None, typer.Option("--since", help=help_for("audit --since"))] = None,
    form: Annotated[str, typer.Option("--format", help=help_for("audit --format"))] = "text",
) -> None:
    """Print the entries that match, oldest first."""
    from bot.cli.main import run_on_database, settings

    if form not in FORMATS:
        typer.echo(render("audit_bad_format", formats=FORMATS), err=True)
        raise typer.Exit(2)
    filters = Filters(person, student, action, _day(since))
    config = settings()
    try:
        rows = run_on_database(_query(config, filters, form))
    except UnknownCode as exc:
        typer.echo(render("audit_unknown_code", option=exc.option, code=exc.code), err=True)
        raise typer.Exit(2) from None
    typer.echo(formatted(rows, form=form, tz=config.tz))


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        typer.echo(render("audit_bad_date", value=value), err=True)
        raise typer.Exit(2) from None


async def _query(config: Settings, filters: Filters, form: str) -> list[AuditRow]:
    from bot.clock import SystemClock
    from bot.runtime import open_database
    from storage import audit
    from storage.audit_query import audit_entries
    from storage.db import make_sessionmaker, session_scope

    async with (
        open_database(config) as engine,
        session_scope(make_sessionmaker(engine)) as session,
    ):
        actor_id = await _person_id(session, "--person", filters.person)
        subject_id = await _person_id(session, "--student", filters.student)
        since = None
        if filters.since is not None:
            since = datetime.combine(filters.since, time(), tzinfo=config.tz)
        rows = await audit_entries(
            session, actor_id=actor_id, subject_id=subject_id, action=filters.action, since=since
        )
        await audit.record(session, action="audit_query", at=SystemClock().now(),
                           channel="cli", detail=filters.detail(form))  # fmt: skip
        return rows


async def _person_id(session: Any, option: str, code: str | None) -> int | None:
    from storage.people.queries import find_by_code

    if code is None:
        return None
    found = await find_by_code(session, code)
    if found is None:
        raise UnknownCode(option, code)
    return found.id


def formatted(rows: list[AuditRow], *, form: str, tz: ZoneInfo) -> str:
    """The entries as the chosen format: text lines under Chinese headings, JSON, or CSV."""
    records = [_record(row, tz) for row in rows]
    if form == "json":
        return json.dumps(records, ensure_ascii=False, indent=2)
    if form == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=FIELDS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        return out.getvalue().rstrip("\n")
    return render("audit_entries", rows=rows, tz=tz)


def _record(row: AuditRow, tz: ZoneInfo) -> dict[str, str | None]:
    return {
        "at": row.at.astimezone(tz).isoformat(),
        "actor_code": row.actor_code,
        "actor_name": row.actor_name,
        "action": row.action,
        "subject_code": row.subject_code,
        "channel": row.channel,
        "account": row.account,
        "detail": row.detail,
    }


def grant_after_upgrade(config: Settings) -> None:
    """After `carebot db upgrade`: the grants for CAREBOT_DB_APP_ROLE on PostgreSQL, and one
    line saying what was done (nothing to do on SQLite or without the setting)."""
    import asyncio

    from sqlalchemy.exc import DBAPIError

    role = config.db_app_role
    if role is None or not config.database_url.startswith("postgresql"):
        return
    try:
        outcome = asyncio.run(_grant(config, role))
    except DBAPIError as exc:  # e.g. the owner may not CREATE ROLE: the error names no data
        typer.echo(render("audit_app_role", role=role, outcome="failed", error=exc.orig), err=True)
        raise typer.Exit(1) from None
    typer.echo(render("audit_app_role", role=role, outcome=outcome, error=None))


async def _grant(config: Settings, role: str) -> str:
    from storage.app_role import grant_app_role
    from storage.db import make_engine

    engine = make_engine(config.database_url, data_key=config.data_key.get_secret_value())
    try:
        async with engine.begin() as connection:
            return (await grant_app_role(connection, role)).value
    finally:
        await engine.dispose()
