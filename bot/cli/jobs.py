"""`carebot jobs import FILE.xlsx`: job postings from a workbook, all rows or none."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from messages.render import render

if TYPE_CHECKING:  # the storage stack loads only when the command runs
    from sqlmodel.ext.asyncio.session import AsyncSession

    from bot.settings import Settings
    from storage.careers.importer import JobImport


def _help(topic: str) -> str:
    return render("careers_cli_help", topic=topic)


jobs_app = typer.Typer(no_args_is_help=True, help=_help("jobs"))


class NotAPublisher(Exception):
    """--publisher names nobody, or someone who may not publish postings."""


def register(app: typer.Typer) -> None:
    """Attach the jobs commands to the main CLI."""
    app.add_typer(jobs_app, name="jobs")


@jobs_app.command("import", help=_help("jobs import"))
def import_command(
    file: Annotated[Path, typer.Argument(help=_help("jobs import FILE"))],
    publisher: Annotated[
        str | None, typer.Option("--publisher", help=_help("jobs import --publisher"))
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=_help("jobs import --dry-run"))
    ] = False,
) -> None:
    """Import the postings: every row checked, all written or none."""
    from bot.cli.main import run_on_database, settings
    from storage.careers.importer import JobImportError

    config = settings()
    try:
        found = run_on_database(_import(config, file, publisher=publisher, dry_run=dry_run))
    except JobImportError as exc:
        for line in exc.problems:
            typer.echo(line, err=True)
        typer.echo(render("careers_import_refused", count=len(exc.problems)), err=True)
        raise typer.Exit(1) from None
    except NotAPublisher:
        typer.echo(render("careers_import_no_publisher", code=publisher), err=True)
        raise typer.Exit(2) from None
    typer.echo(
        render(
            "careers_import_done",
            count=len(found.postings),
            sheet=found.sheet,
            ignored=found.ignored,
            dry_run=dry_run,
        )
    )


async def _import(
    config: Settings, file: Path, *, publisher: str | None, dry_run: bool
) -> JobImport:
    from bot.clock import SystemClock
    from bot.runtime import open_database
    from storage.careers.importer import import_postings
    from storage.db import make_sessionmaker, session_scope

    now = SystemClock().now()
    today = now.astimezone(config.tz).date()
    async with (
        open_database(config) as engine,
        session_scope(make_sessionmaker(engine)) as session,
    ):
        publisher_id = await _publisher(session, publisher) if publisher else None
        return await import_postings(
            session, file, now=now, today=today, publisher_id=publisher_id, dry_run=dry_run
        )


async def _publisher(session: AsyncSession, code: str) -> int:
    """The person a staff code names, when they may publish postings."""
    from handlers.access.rules import may_publish_jobs
    from storage.people.queries import find_by_code
    from storage.people.roles import roles_of

    person = await find_by_code(session, code)
    if person is None or person.id is None:
        raise NotAPublisher(code)
    roles = (await roles_of(session, [person.id])).get(person.id, frozenset())
    if not may_publish_jobs(roles):
        raise NotAPublisher(code)
    return person.id
