"""The `carebot` command line: serve, db, keys, roster, demo."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer

from bot.settings import Settings, SettingsError, load_settings

T = TypeVar("T")

app = typer.Typer(no_args_is_help=True, add_completion=False, help="CareBot 精准帮扶助手")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
keys_app = typer.Typer(no_args_is_help=True, help="Data encryption keys.")
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")


def settings() -> Settings:
    """Settings for a command; invalid ones end the program with one clear line."""
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"carebot: {exc}", err=True)
        raise typer.Exit(2) from None


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


@keys_app.command("new")
def keys_new() -> None:
    """Print a new CAREBOT_DATA_KEY (urlsafe-base64, 32 bytes)."""
    from storage.crypto import new_key

    typer.echo(new_key())


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations, store the data key check and sync the category list (the release
    process). A database encrypted with another key is refused before and after migrating."""
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
    run_on_database(_upgrade_data(config, migrated=True))
    typer.echo(f"database at {revision}")


async def _upgrade_data(config: Settings, *, migrated: bool) -> None:
    """Check the key (a database without the check yet: against its encrypted data); once
    migrated, record the check and sync the categories in the same transaction."""
    from storage.categories import sync_categories
    from storage.db import make_engine, make_sessionmaker, session_scope
    from storage.keycheck import DataKeyError, KeyState, check_key, record_key

    engine = make_engine(config.database_url, data_key=config.data_key.get_secret_value())
    try:
        async with session_scope(make_sessionmaker(engine)) as session:
            state = await check_key(session)
            if state is KeyState.MISMATCH:
                raise DataKeyError(state)
            if not migrated:
                return
            if state is not KeyState.NOT_MIGRATED:  # a --revision before the key check
                await record_key(session)
            await sync_categories(session)
    finally:
        await engine.dispose()


async def _check_database(config: Settings) -> None:
    from bot.runtime import open_database

    async with open_database(config):
        pass


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    with_clock: Annotated[
        bool, typer.Option(help="Also run the scheduled jobs (development: one process).")
    ] = False,
) -> None:
    """Run the web process (callbacks, simulator, health)."""
    import gc

    import uvicorn

    from bot import logs
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
        typer.echo(f"simulator: http://{host}:{port}/sim")
    app = create_app(config, run_clock=with_clock)
    # Everything imported so far lives as long as the process: moved out of the collector's
    # view, full collections no longer walk it (they paused requests for ~100 ms under load).
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=max(1, round(config.shutdown_seconds)),
    )


def _register_optional() -> None:
    """Sub-commands that live in their own modules."""
    from bot import cli_demo, cli_dingtalk, cli_ops, cli_policy, cli_roster

    cli_dingtalk.register(app)
    cli_policy.register(app)
    cli_roster.register(app)
    cli_demo.register(app)
    cli_ops.register(app)


def main() -> None:
    _register_optional()
    try:
        app()
    except SettingsError as exc:
        typer.echo(f"carebot: {exc}", err=True)
        sys.exit(2)
