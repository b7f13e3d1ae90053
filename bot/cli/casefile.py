"""`carebot casefile`: the bulk import (the export registers itself, bot/cli/exports.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from messages.render import render

if TYPE_CHECKING:  # the storage stack loads only when the command runs
    from bot.settings import Settings
    from storage.cases.importer import CaseImport


def _help(topic: str) -> str:
    return render("case_cli_help", topic=topic)


casefile_app = typer.Typer(no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Attach the casefile commands to the main CLI."""
    app.add_typer(casefile_app, name="casefile")


@casefile_app.command("import", help=_help("import"))
def import_command(
    file: Annotated[Path, typer.Argument(help=_help("import FILE"))],
    dry_run: Annotated[bool, typer.Option("--dry-run", help=_help("import --dry-run"))] = False,
) -> None:
    """Import the case-file sections: every row checked, all written or none."""
    from bot.cli.main import run_on_database, settings
    from storage.cases.importer import CaseImportError

    try:
        found = run_on_database(_import(settings(), file, dry_run=dry_run))
    except CaseImportError as exc:
        for line in exc.problems:
            typer.echo(line, err=True)
        typer.echo(render("case_import_refused", count=len(exc.problems)), err=True)
        raise typer.Exit(1) from None
    typer.echo(
        render(
            "case_import_done",
            count=len(found.rows),
            sheet=found.sheet,
            ignored=found.ignored,
            dry_run=dry_run,
        )
    )


@casefile_app.command("template", help=_help("template"))
def template_command(
    out: Annotated[Path, typer.Option("--out", help=_help("template --out"))],
) -> None:
    from storage.cases.template import write_template

    write_template(out)
    typer.echo(render("case_template_written", path=out))


async def _import(config: Settings, file: Path, *, dry_run: bool) -> CaseImport:
    from bot.clock import SystemClock
    from bot.runtime import open_database
    from storage.cases.importer import import_case_files
    from storage.db import make_sessionmaker, session_scope

    now = SystemClock().now()
    async with (
        open_database(config) as engine,
        session_scope(make_sessionmaker(engine)) as session,
    ):
        return await import_case_files(session, file, now=now, dry_run=dry_run)
