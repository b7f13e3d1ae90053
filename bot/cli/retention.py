"""`carebot retention apply`: archive the students past the retention period (docs/retention.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.help import help_for
from bot.clock import SystemClock
from messages.render import render

if TYPE_CHECKING:  # the storage stack loads only when the command runs
    from bot.settings import Settings
    from storage.retention import Archivable

retention_app = typer.Typer(no_args_is_help=True, help=help_for("retention"))


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app, name="retention")


@retention_app.command("apply", help=help_for("retention apply"))
def apply(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=help_for("retention apply --dry-run"))
    ] = False,
) -> None:
    """Archive every student due (with --dry-run: list them and change nothing)."""
    from bot.cli.main import run_on_database, settings
    from storage.retention import last_archived_year

    config = settings()
    today = SystemClock().now().astimezone(config.tz).date()
    students = run_on_database(_apply(config, dry_run=dry_run))
    typer.echo(
        render(
            "retention_applied",
            students=students,
            dry_run=dry_run,
            years=config.retention_years,
            last_year=last_archived_year(today, years=config.retention_years),
        )
    )


async def _apply(config: Settings, *, dry_run: bool) -> list[Archivable]:
    """The students due; unless a dry run, each archived in a transaction of its own, so an
    interrupted run keeps what it finished and the next run does the rest."""
    from bot.runtime import open_database
    from storage.db import make_sessionmaker, session_scope
    from storage.retention import archive, due_students

    async with open_database(config) as engine:
        sessions = make_sessionmaker(engine)
        today = SystemClock().now().astimezone(config.tz).date()
        async with sessions() as session:
            students = await due_students(session, today=today, years=config.retention_years)
        if not dry_run:
            for student in students:
                async with session_scope(sessions) as session:
                    await archive(session, student, now=SystemClock().now())
    return students
