"""`carebot keys`, and whether a database already holds data encrypted with some key."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.help import help_for
from storage.crypto import new_key

keys_app = typer.Typer(no_args_is_help=True, help=help_for("keys"))


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")


@keys_app.command("new", help=help_for("keys new"))
def keys_new() -> None:
    """Print a new CAREBOT_DATA_KEY (urlsafe-base64, 32 bytes)."""
    typer.echo(new_key())


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
