"""The `carebot` command line: serve and db here; the other groups register themselves."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from functools import cache
from typing import Annotated, Any, TypeVar

import typer

from bot.cli.help import help_for
from bot.settings import Settings, SettingsError, load_settings

T = TypeVar("T")

app = typer.Typer(no_args_is_help=True, add_completion=False, help=help_for("carebot"))
db_app = typer.Typer(no_args_is_help=True, help=help_for("db"))
app.add_typer(db_app, name="db")


def settings() -> Settings:
    """Settings for a command; invalid ones end the program with one Chinese line each."""
    try:
        return load_settings()
    except SettingsError as exc:
        explain_settings(exc)
        raise typer.Exit(2) from None


def explain_settings(exc: SettingsError) -> None:
    """Print the problems; advice on the data key depends on whether data exists already."""
    from bot.cli.keys import data_exists

    url = exc.database_url if exc.about_data_key else None
    exists = data_exists(url) if url else None
    for line in exc.lines(data_exists=exists):
        typer.echo(line, err=True)


def run_on_database(job: Coroutine[Any, Any, T], *, not_migrated_code: int = 2) -> T:
    """asyncio.run for a command that opens the database: a database it must not touch (not
    migrated, or encrypted with another key) ends the program with one Chinese line."""
    from messages.render import render
    from storage.keycheck import DataKeyError, KeyState

    try:
        return asyncio.run(job)
    except DataKeyError as exc:
        if exc.state is KeyState.MISMATCH:
            typer.echo(render("cli_data_key_mismatch"), err=True)
            raise typer.Exit(2) from None
        typer.echo(render("cli_database_not_migrated"), err=True)
        raise typer.Exit(not_migrated_code) from None


@db_app.command("upgrade", help=help_for("db upgrade"))
def db_upgrade(
    revision: Annotated[str, typer.Option(help=help_for("db upgrade --revision"))] = "head",
) -> None:
    """Apply migrations, store the data key check and sync the category list (the release
    process). A database encrypted with another key is refused before and after migrating."""
    from bot.cli.audit import grant_after_upgrade
    from messages.render import render
    from storage import migrate

    config = settings()
    try:
        migrate.check_revision(revision)
        run_on_database(_upgrade_data(config, migrated=False))
        migrate.upgrade(config.database_url, revision)
    except migrate.UnknownRevisionError as exc:
        typer.echo(render("cli_unknown_revision", revision=exc.revision, known=exc.known), err=True)
        raise typer.Exit(2) from None
    current = run_on_database(_upgrade_data(config, migrated=True))
    typer.echo(render("cli_db_upgraded", current=current, head=migrate.head()))
    grant_after_upgrade(config)  # CAREBOT_DB_APP_ROLE's grants (bot/cli/audit.py)


async def _upgrade_data(config: Settings, *, migrated: bool) -> str | None:
    """Check the key (a database without the check yet: against its encrypted data); once
    migrated, record the check and sync the categories in the same transaction, and return
    the revision the database is now at."""
    from sqlalchemy import text

    from storage.db import make_engine, make_sessionmaker, session_scope
    from storage.keycheck import DataKeyError, KeyState, check_key, record_key
    from storage.people.categories import sync_categories

    key, previous = config.data_key.get_secret_value(), config.previous_data_key
    engine = make_engine(config.database_url, data_key=key, previous_key=previous)
    try:
        async with session_scope(make_sessionmaker(engine)) as session:
            state = await check_key(session)
            if state is KeyState.MISMATCH:
                raise DataKeyError(state)
            if not migrated:
                return None
            if state is not KeyState.NOT_MIGRATED:  # a --revision before the key check
                await record_key(session)
            await sync_categories(session)
            connection = await session.connection()
            version = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return version.scalar()
    finally:
        await engine.dispose()


async def _check_database(config: Settings) -> None:
    from bot.runtime import open_database

    async with open_database(config):
        pass


@app.command("serve", help=help_for("serve"))
def serve(
    host: Annotated[str, typer.Option(help=help_for("serve --host"))] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help=help_for("serve --port"))] = 8000,
    with_clock: Annotated[bool, typer.Option(help=help_for("serve --with-clock"))] = False,
) -> None:
    """Run the web process (callbacks, simulator, health)."""
    import uvicorn

    from bot import heap, logs
    from bot.app import create_app
    from bot.settings import simulator_exposed
    from messages.render import render

    config = settings()
    if simulator_exposed(config, host=host):
        typer.echo(render("cli_serve_refused", host=host), err=True)
        raise typer.Exit(2)
    run_on_database(_check_database(config))  # one line now, not a traceback from the lifespan
    logs.configure(fmt=config.log_format, level=config.log_level)
    if config.simulator:
        typer.echo(render("cli_simulator_url", url=f"http://{host}:{port}/sim"))
    app = create_app(config, run_clock=with_clock)
    heap.settle()  # what lives for the process is frozen; young collections are rarer
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=max(1, round(config.shutdown_seconds)),
    )


@cache
def _register_optional() -> None:
    """Sub-commands that live in their own modules (once: tests walk the tree too)."""
    from bot.cli import audit as cli_audit
    from bot.cli import backup as cli_backup
    from bot.cli import broadcast as cli_broadcast
    from bot.cli import casefile as cli_casefile
    from bot.cli import demo as cli_demo
    from bot.cli import dingtalk as cli_dingtalk
    from bot.cli import exports as cli_exports
    from bot.cli import grades as cli_grades
    from bot.cli import jobs as cli_jobs
    from bot.cli import keys as cli_keys
    from bot.cli import ops as cli_ops
    from bot.cli import policy as cli_policy
    from bot.cli import reports as cli_reports
    from bot.cli import retention as cli_retention
    from bot.cli import roster as cli_roster
    from bot.cli import survey as cli_survey

    cli_keys.register(app)
    cli_dingtalk.register(app)
    cli_policy.register(app)
    cli_roster.register(app)
    cli_jobs.register(app)
    cli_survey.register(app)
    cli_broadcast.register(app)
    cli_demo.register(app)
    cli_ops.register(app)
    cli_casefile.register(app)
    cli_exports.register(app)
    cli_grades.register(app)
    cli_reports.register(app)
    cli_retention.register(app)
    cli_backup.register(app)
    cli_audit.register(app)


def main(args: list[str] | None = None) -> None:
    """The `carebot` executable: Chinese usage errors, and no traceback for a settings problem
    or a path that is a folder, missing or not allowed. `args` default to the command line."""
    from bot.cli.usage import run
    from messages.render import render

    _register_optional()
    try:
        code = run(app, args)
    except SettingsError as exc:
        explain_settings(exc)
        code = 2
    except (IsADirectoryError, NotADirectoryError, FileNotFoundError, PermissionError) as exc:
        if exc.filename is None:
            raise
        problem = type(exc).__name__
        typer.echo(render("cli_path_problem", path=exc.filename, problem=problem), err=True)
        code = 2
    sys.exit(code)
