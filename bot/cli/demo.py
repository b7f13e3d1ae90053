"""`carebot demo`: load a synthetic university and say whom to try in the simulator."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.cli.help import help_for
from bot.cli.main import run_on_database, settings
from bot.clock import SystemClock
from bot.settings import Settings
from messages.render import render
from storage.demo.load import (
    DEFAULT_SEED,
    DEFAULT_STUDENTS,
    DatabaseNotEmptyError,
    DemoSummary,
    has_people,
    load_demo,
)
from storage.demo.plan import MIN_STUDENTS

SIM_URL = "http://127.0.0.1:8000/sim"


def register(app: typer.Typer) -> None:
    """Attach the demo command to the main CLI."""
    app.command("demo", help=help_for("demo"))(demo)


def demo(
    students: Annotated[
        int, typer.Option(min=MIN_STUDENTS, help=help_for("demo --students"))
    ] = DEFAULT_STUDENTS,
    if_empty: Annotated[bool, typer.Option("--if-empty", help=help_for("demo --if-empty"))] = False,
    seed: Annotated[int, typer.Option(help=help_for("demo --seed"))] = DEFAULT_SEED,
) -> None:
    """Load demo data: colleges, students, 1+1+1 teams, case files and 60 days of visits."""
    config = settings()
    job = _load(config, students=students, seed=seed, if_empty=if_empty)
    try:
        # Exit 1 before migrations, as `carebot demo` always answered (tests/bot/cli/test_demo.py).
        summary = run_on_database(job, not_migrated_code=1)
    except DatabaseNotEmptyError:
        typer.echo(render("cli_demo_not_empty"), err=True)
        raise typer.Exit(1) from None
    except (OperationalError, ProgrammingError) as exc:
        error = str(exc.orig).splitlines()[0]
        typer.echo(render("cli_demo_no_schema", error=error), err=True)
        raise typer.Exit(1) from None
    if summary is None:
        typer.echo(render("cli_demo_skipped", url=SIM_URL))
        return
    typer.echo(describe(summary, seed=seed))


async def _load(
    config: Settings, *, students: int, seed: int, if_empty: bool
) -> DemoSummary | None:
    from bot.runtime import open_database
    from storage.db import make_sessionmaker, session_scope
    from storage.demo.grades import DemoSemester

    async with (
        open_database(config) as engine,
        session_scope(make_sessionmaker(engine)) as session,
    ):
        if if_empty and await has_people(session):
            return None
        now = SystemClock().now()
        semesters = [DemoSemester(s.name, s.start) for s in config.policy().semesters]
        return await load_demo(
            session, now=now, students=students, seed=seed, tz=config.tz, semesters=semesters
        )


def describe(summary: DemoSummary, *, seed: int) -> str:
    """The Chinese summary printed after loading: counts, then whom to try."""
    kinds = " ".join(f"{kind} {count}" for kind, count in summary.visits_by_kind.items())
    return render("cli_demo_loaded", summary=summary, seed=seed, kinds=kinds, url=SIM_URL)
