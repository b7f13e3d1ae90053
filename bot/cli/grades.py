"""`carebot grades`: Grades (成绩): the import that feeds academic warnings, and the courses
special students are retaking."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from messages.render import render

if TYPE_CHECKING:  # the storage stack loads only when the command runs
    from bot.settings import Settings
    from handlers.academic.warnings import GradesOutcome


def _help(topic: str) -> str:
    return render("grades_cli_help", topic=topic)


grades_app = typer.Typer(no_args_is_help=True, help=_help("grades"))


class UnknownSemester(Exception):
    """--semester names no semester of the policy."""


def register(app: typer.Typer) -> None:
    """Attach the grades commands to the main CLI."""
    app.add_typer(grades_app, name="grades")


@grades_app.command("import", help=_help("grades import"))
def import_command(
    file: Annotated[Path, typer.Argument(help=_help("grades import FILE"))],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=_help("grades import --dry-run"))
    ] = False,
) -> None:
    """Import the grades: every row checked, all written or none; then the warnings."""
    from bot.cli.main import run_on_database, settings
    from storage.academic.sheet import GradeImportError

    try:
        outcome = run_on_database(_import(settings(), file, dry_run=dry_run))
    except GradeImportError as exc:
        for line in exc.problems:
            typer.echo(line, err=True)
        typer.echo(render("grades_import_refused", count=len(exc.problems)), err=True)
        raise typer.Exit(1) from None
    found = outcome.found
    summary = render(
        "grades_import_done",
        dry_run=dry_run,
        sheet=found.sheet,
        rows=found.rows,
        stored=len(found.grades),
        skipped=found.skipped,
        new=outcome.new,
        raised=outcome.raised,
        told=outcome.told,
    )
    typer.echo(summary)


async def _import(config: Settings, file: Path, *, dry_run: bool) -> GradesOutcome:
    from bot.clock import SystemClock
    from bot.runtime import open_runtime
    from bot.schedule.jobs import context_for
    from handlers.academic.warnings import import_grades_file
    from storage.db import session_scope

    async with open_runtime(config, clock=SystemClock()) as runtime:
        async with session_scope(runtime.sessions) as session:
            outcome = await import_grades_file(context_for(runtime, session), file, dry_run=dry_run)
        runtime.outbox.wake()
    return outcome


@grades_app.command("retakes", help=_help("grades retakes"))
def retakes_command(
    semester: Annotated[str, typer.Option("--semester", help=_help("grades retakes --semester"))],
    college: Annotated[
        str | None, typer.Option("--college", help=_help("grades retakes --college"))
    ] = None,
) -> None:
    """Print the 重修 courses of a semester, per student, for a college or the school."""
    from bot.cli.main import run_on_database, settings

    config = settings()
    try:
        name, rows = run_on_database(_retakes(config, semester=semester, college=college))
    except UnknownSemester:
        typer.echo(render("grades_unknown_semester", value=semester), err=True)
        raise typer.Exit(2) from None
    typer.echo(render("grades_retakes", semester=name, college=college, rows=rows))


async def _retakes(
    config: Settings, *, semester: str, college: str | None
) -> tuple[str, list[dict[str, object]]]:
    from dataclasses import asdict

    from bot.runtime import open_database
    from handlers.policy.calendar import semester_named
    from storage.academic.ledger import credits_text
    from storage.academic.retakes import retakes_for_college
    from storage.db import make_sessionmaker, session_scope

    found = semester_named(semester, config.policy())
    if found is None:
        raise UnknownSemester(semester)
    async with (
        open_database(config) as engine,
        session_scope(make_sessionmaker(engine)) as session,
    ):
        rows = await retakes_for_college(session, college=college, semester=found.name)
    shown = [asdict(row) | {"credits": credits_text(row.credits)} for row in rows]
    return found.name, shown
