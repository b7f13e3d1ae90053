"""`carebot stats` and `carebot report yearly`: statistics and the yearly summary."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar, cast

import typer

from messages.render import render

if TYPE_CHECKING:
    from handlers.context import Context
    from handlers.reports.stats_cli import Format

T = TypeVar("T")
FORMATS = ("text", "json", "xlsx")


def _help(topic: str) -> str:
    return render("stats_cli_help", topic=topic)


report_app = typer.Typer(no_args_is_help=True, help=_help("report"))


def register(app: typer.Typer) -> None:
    """Attach the statistics commands to the main CLI."""
    app.add_typer(report_app, name="report")
    app.command("stats", help=_help("stats"))(stats_command)


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        typer.echo(render("stats_bad_dates"), err=True)
        raise typer.Exit(2) from None


def stats_command(
    college: Annotated[str | None, typer.Option("--college", help=_help("stats --college"))] = None,
    first: Annotated[str | None, typer.Option("--from", help=_help("stats --from"))] = None,
    last: Annotated[str | None, typer.Option("--to", help=_help("stats --to"))] = None,
    form: Annotated[str, typer.Option("--format", help=_help("stats --format"))] = "text",
    out: Annotated[Path | None, typer.Option("--out", help=_help("stats --out"))] = None,
    by: Annotated[str | None, typer.Option("--by", help=_help("stats --by"))] = None,
) -> None:
    """Print or write the statistics."""
    if form not in FORMATS or (form == "xlsx" and out is None):
        typer.echo(render("stats_bad_format", need_out=form == "xlsx"), err=True)
        raise typer.Exit(2)
    start, end = _day(first), _day(last)
    if start and end and start > end:
        typer.echo(render("stats_bad_dates"), err=True)
        raise typer.Exit(2)

    async def work(ctx: Context) -> str | bytes:
        from handlers.reports.stats_cli import stats_output

        chosen = cast("Format", form)
        return await stats_output(ctx, by=by, college=college, first=start, last=end, form=chosen)

    produced = _run(work)
    if out is None:
        typer.echo(produced if isinstance(produced, str) else "")
        return
    if isinstance(produced, str):
        out.write_text(produced + "\n", encoding="utf-8")
    else:
        out.write_bytes(produced)
    typer.echo(render("stats_written", file=out))


@report_app.command("yearly", help=_help("report yearly"))
def yearly_command(
    college: Annotated[str, typer.Option("--college", help=_help("report yearly --college"))],
    year: Annotated[int, typer.Option("--year", help=_help("report yearly --year"))],
    out: Annotated[Path, typer.Option("--out", help=_help("report yearly --out"))],
    by: Annotated[str | None, typer.Option("--by", help=_help("report yearly --by"))] = None,
) -> None:
    """Write the college's yearly summary as a .docx."""
    if out.suffix.lower() != ".docx":
        typer.echo(render("yearly_bad_out"), err=True)
        raise typer.Exit(2)

    async def work(ctx: Context) -> tuple[bytes, int]:
        from handlers.reports.stats_cli import yearly_output

        return await yearly_output(ctx, by=by, college=college, year=year)

    data, students = _run(work)
    out.write_bytes(data)
    typer.echo(render("yearly_written", college=college, year=year, file=out, students=students))


def _run(work: Callable[[Context], Awaitable[T]]) -> T:
    from bot.cli.main import run_on_database, settings
    from handlers.reports.stats_cli import Refused

    config = settings()
    try:
        return run_on_database(_on_database(config, work))
    except Refused as refused:
        typer.echo(str(refused), err=True)
        raise typer.Exit(1) from None


async def _on_database(config: object, work: Callable[[Context], Awaitable[T]]) -> T:
    from bot.clock import SystemClock
    from bot.runtime import open_database
    from bot.settings import Settings
    from handlers.context import Context
    from handlers.reports.stats_cli import Refused
    from storage.db import make_sessionmaker, session_scope

    assert isinstance(config, Settings)
    async with (
        open_database(config) as engine,
        session_scope(make_sessionmaker(engine)) as session,
    ):
        ctx = Context(session, SystemClock().now(), config.handler_config(()))
        try:
            return await work(ctx)
        except Refused:
            await session.commit()  # the refusal's audit row stays
            raise
