"""`carebot survey export N --out FILE.xlsx`: a survey's answers as a workbook."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from messages.render import render

if TYPE_CHECKING:
    from bot.settings import Settings


def _help(topic: str) -> str:
    return render("careers_cli_help", topic=topic)


survey_app = typer.Typer(no_args_is_help=True, help=_help("survey"))


class NoSuchSurvey(Exception):
    pass


def register(app: typer.Typer) -> None:
    """Attach the survey commands to the main CLI."""
    app.add_typer(survey_app, name="survey")


@survey_app.command("export", help=_help("survey export"))
def export_command(
    number: Annotated[int, typer.Argument(help=_help("survey export N"))],
    out: Annotated[Path, typer.Option("--out", help=_help("survey export --out"))],
) -> None:
    """Write the survey's answers and counts to an .xlsx workbook."""
    from bot.cli.main import run_on_database, settings

    if out.suffix.lower() != ".xlsx":
        typer.echo(render("careers_survey_export_suffix"), err=True)
        raise typer.Exit(2)
    config = settings()
    try:
        answered = run_on_database(_export(config, number, out))
    except NoSuchSurvey:
        typer.echo(render("careers_survey_export_missing", number=number), err=True)
        raise typer.Exit(1) from None
    typer.echo(render("careers_survey_exported", number=number, file=out, answered=answered))


async def _export(config: Settings, number: int, out: Path) -> int:
    from bot.runtime import open_database
    from storage.careers import surveys
    from storage.careers.survey_export import export_survey
    from storage.db import make_sessionmaker, session_scope

    async with (
        open_database(config) as engine,
        session_scope(make_sessionmaker(engine)) as session,
    ):
        survey = await surveys.get_survey(session, number)
        definition = surveys.definitions().get(survey.kind) if survey else None
        if survey is None or definition is None:
            raise NoSuchSurvey(number)
        return await export_survey(session, survey, definition, out)
