"""`carebot keys`, and whether a database already holds data encrypted with some key."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.help import help_for
from messages.render import render
from storage.crypto import new_key

if TYPE_CHECKING:  # the storage stack loads only when the command runs
    from bot.settings import Settings
    from storage.rotation import Rotation, TableRotation

keys_app = typer.Typer(no_args_is_help=True, help=help_for("keys"))


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")


@keys_app.command("new", help=help_for("keys new"))
def keys_new() -> None:
    """Print a new CAREBOT_DATA_KEY (urlsafe-base64, 32 bytes)."""
    typer.echo(new_key())


@keys_app.command("rotate", help=help_for("keys rotate"))
def keys_rotate() -> None:
    """Re-encrypt every sensitive value under CAREBOT_DATA_KEY (docs/keys.md)."""
    from bot.cli.main import run_on_database, settings

    config = settings()
    if config.previous_data_key is None:
        typer.echo(render("keys_rotate_no_previous"), err=True)
        raise typer.Exit(2)
    rotation = run_on_database(_rotate(config))
    typer.echo(render("keys_rotate_done", rotation=rotation))
    if rotation.unreadable:
        raise typer.Exit(1)


async def _rotate(config: Settings) -> Rotation:
    from bot.clock import SystemClock
    from bot.runtime import open_database
    from storage import audit, rotation
    from storage.db import make_sessionmaker, session_scope
    from storage.keycheck import rewrite_key

    async with open_database(config) as engine:
        done = await rotation.rotate_all(engine, after_batch=_progress)
        async with session_scope(make_sessionmaker(engine)) as session:
            await rewrite_key(session)
            detail = done.detail()
            await audit.record(session, action="keys_rotate", at=SystemClock().now(), detail=detail)
    return done


def _progress(table: TableRotation) -> None:
    typer.echo(render("keys_rotate_progress", table=table))


def data_exists(url: str) -> bool | None:
    """Whether the database holds encrypted data (so only its own key will do); None when
    it cannot be read. Never creates a SQLite file, and decrypts nothing."""
    from storage.db import is_sqlite

    if is_sqlite(url):
        database = make_url(url).database
        if not database or database == ":memory:" or not Path(database).is_file():
            return False
    try:
        return asyncio.run(_data_exists(url))
    except (SQLAlchemyError, OSError):
        return None


async def _data_exists(url: str) -> bool:
    from storage.db import make_engine, make_sessionmaker
    from storage.keycheck import KeyState, check_key

    # A throwaway key: a canary (or, before there is one, any encrypted value) means data.
    engine = make_engine(url, data_key=new_key(), sqlite_immediate=False)
    try:
        async with make_sessionmaker(engine)() as session:
            state = await check_key(session)
    finally:
        await engine.dispose()
    return state in (KeyState.MISMATCH, KeyState.MATCHES)
