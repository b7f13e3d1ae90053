"""`carebot backup` and `carebot restore` (storage/backup.py, docs/backup.md)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.help import help_for
from messages.render import render

if TYPE_CHECKING:
    from bot.settings import Settings
    from storage.keycheck import KeyState


def register(app: typer.Typer) -> None:
    app.command("backup", help=help_for("backup"))(backup_command)
    app.command("restore", help=help_for("restore"))(restore_command)


def backup_command(
    out: Annotated[Path, typer.Option("--out", help=help_for("backup --out"))],
    force: Annotated[bool, typer.Option("--force", help=help_for("backup --force"))] = False,
) -> None:
    """Back the configured database up to FILE."""
    from bot.cli.main import run_on_database, settings
    from storage.backup import BackupError, backup

    config = settings()
    try:
        backup(config.database_url, out, force=force)
    except BackupError as exc:
        _fail(exc)
    size = out.stat().st_size
    run_on_database(_audit(config, "backup", f"bytes={size}"))  # a copy of everything: an export
    typer.echo(render("backup_done", path=out, size=size))


def restore_command(
    source: Annotated[Path, typer.Option("--from", help=help_for("restore --from"))],
    force: Annotated[bool, typer.Option("--force", help=help_for("restore --force"))] = False,
) -> None:
    """Restore the configured database from FILE, then check the data key against it."""
    from bot.cli.main import settings
    from storage.backup import BackupError, restore

    config = settings()
    try:
        restore(config.database_url, source, force=force)
    except BackupError as exc:
        _fail(exc)
    state = asyncio.run(_key_state(config))
    if state.value == "matches":  # a database the keys read: the restore is on its record
        asyncio.run(_audit(config, "restore", f"bytes={source.stat().st_size}"))
    typer.echo(render("backup_restored", path=source, state=state.value))
    if state.value == "mismatch":
        raise typer.Exit(1)


def _fail(exc: Exception) -> None:
    from storage.backup import BackupError

    assert isinstance(exc, BackupError)
    typer.echo(render("backup_failed", problem=exc.problem.value, detail=exc.detail), err=True)
    raise typer.Exit(2) from None


async def _audit(config: Settings, action: str, detail: str) -> None:
    """The backup or restore as an audit entry (sizes only: no path, no data)."""
    from bot.clock import SystemClock
    from bot.runtime import open_database
    from storage import audit
    from storage.db import make_sessionmaker, session_scope

    async with (
        open_database(config) as engine,
        session_scope(make_sessionmaker(engine)) as session,
    ):
        now = SystemClock().now()
        await audit.record(session, action=action, at=now, channel="cli", detail=detail)


async def _key_state(config: Settings) -> KeyState:
    """Whether the configured keys read the restored data (nothing is written)."""
    from storage.db import make_engine, make_sessionmaker
    from storage.keycheck import check_key

    engine = make_engine(
        config.database_url,
        data_key=config.data_key.get_secret_value(),
        previous_key=config.previous_data_key,
        sqlite_immediate=False,
    )
    try:
        async with make_sessionmaker(engine)() as session:
            return await check_key(session)
    finally:
        await engine.dispose()
