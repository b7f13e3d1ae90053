"""Operations commands: the clock process, today's reminders and the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer

from bot.clock import SystemClock
from bot.settings import Settings

T = TypeVar("T")
outbox_app = typer.Typer(no_args_is_help=True, help="The outgoing message queue.")


def register(app: typer.Typer) -> None:
    app.add_typer(outbox_app, name="outbox")
    app.command("clock")(clock)
    app.command("remind")(remind)


def _settings() -> Settings:
    from bot.cli import settings

    return settings()


def _run(job: Coroutine[Any, Any, T]) -> T:
    from bot.cli import run_on_database

    return run_on_database(job)


def clock() -> None:
    """Run the clock process: outbox sweeper and scheduled jobs (one leader at a time)."""
    from bot import logs
    from bot.scheduler import run_clock

    config = _settings()
    logs.configure(fmt=config.log_format, level=config.log_level)
    _run(run_clock(config, clock=SystemClock()))


def remind(
    now: Annotated[
        bool, typer.Option("--now", help="Send at once, whatever the time or day.")
    ] = False,
) -> None:
    """Send today's digests to everyone with something due who has not had one today.

    Without --now only at the digest time on a digest day outside quiet hours (what the
    clock does every few minutes); with --now at once (demos). Prints how many were sent."""
    config = _settings()
    sent = _run(_remind(config, on_demand=now))
    typer.echo(f"sent today's digest to {sent} person(s)")


async def _remind(config: Settings, *, on_demand: bool) -> int:
    from bot import jobs
    from bot.runtime import open_runtime

    async with open_runtime(config, clock=SystemClock()) as runtime:
        return await jobs.send_digests(runtime, on_demand=on_demand)


@outbox_app.command("status")
def status() -> None:
    """Counts per channel and status, and the most common errors."""
    rows, errors = _run(_status(_settings()))
    if not rows:
        typer.echo("outbox is empty")
    for channel, state, count in rows:
        typer.echo(f"{channel:<10} {state:<9} {count:>8}")
    if errors:
        typer.echo("most common errors:")
        for error, count in errors:
            typer.echo(f"{count:>8}  {error}")


async def _status(config: Settings) -> tuple[list[tuple[str, str, int]], list[tuple[str, int]]]:
    from bot.runtime import open_database
    from storage import outbox
    from storage.db import make_sessionmaker

    async with open_database(config) as engine, make_sessionmaker(engine)() as session:
        return await outbox.status_counts(session), await outbox.common_errors(session)


@outbox_app.command("send")
def send(
    watch: Annotated[bool, typer.Option(help="Keep sending as rows come due.")] = False,
) -> None:
    """Send every message that is due now (with --watch, keep going)."""
    from bot import logs

    config = _settings()
    logs.configure(fmt=config.log_format, level=config.log_level)
    sent = _run(_send(config, watch=watch))
    typer.echo(f"attempted {sent} message(s)")


async def _send(config: Settings, *, watch: bool) -> int:
    from bot.runtime import open_runtime

    async with open_runtime(config, clock=SystemClock()) as runtime:
        if not watch:
            return await runtime.outbox.drain()
        async with runtime.outbox.running(poll=1.0):
            await asyncio.Event().wait()
    return 0
