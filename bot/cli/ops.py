"""Operations commands: the clock process, today's reminders and the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer

from bot.cli.help import help_for
from bot.clock import SystemClock
from bot.settings import Settings
from messages.render import render

T = TypeVar("T")
outbox_app = typer.Typer(no_args_is_help=True, help=help_for("outbox"))


def register(app: typer.Typer) -> None:
    app.add_typer(outbox_app, name="outbox")
    app.command("clock", help=help_for("clock"))(clock)
    app.command("remind", help=help_for("remind"))(remind)


def _settings() -> Settings:
    from bot.cli.main import settings

    return settings()


def _run(job: Coroutine[Any, Any, T]) -> T:
    from bot.cli.main import run_on_database

    return run_on_database(job)


def clock() -> None:
    """Run the clock process: outbox sweeper and scheduled jobs (one leader at a time)."""
    from bot import logs
    from bot.schedule.scheduler import run_clock

    config = _settings()
    logs.configure(fmt=config.log_format, level=config.log_level)
    _run(run_clock(config, clock=SystemClock()))


def remind(
    now: Annotated[bool, typer.Option("--now", help=help_for("remind --now"))] = False,
) -> None:
    """Send today's digests to everyone with something due who has not had one today.

    Without --now only at the digest time on a digest day outside quiet hours (what the
    clock does every few minutes); with --now at once (demos). Prints how many were sent."""
    config = _settings()
    sent = _run(_remind(config, on_demand=now))
    typer.echo(render("cli_remind_sent", count=sent))


async def _remind(config: Settings, *, on_demand: bool) -> int:
    from bot.runtime import open_runtime
    from bot.schedule import jobs

    async with open_runtime(config, clock=SystemClock()) as runtime:
        return await jobs.send_digests(runtime, on_demand=on_demand)


@outbox_app.command("status", help=help_for("outbox status"))
def status() -> None:
    """Counts per channel and status, and the most common errors."""
    rows, errors = _run(_status(_settings()))
    typer.echo(render("cli_outbox_status", rows=rows, errors=errors))


async def _status(config: Settings) -> tuple[list[tuple[str, str, int]], list[tuple[str, int]]]:
    from bot.runtime import open_database
    from storage.db import make_sessionmaker
    from storage.messaging import outbox

    async with open_database(config) as engine, make_sessionmaker(engine)() as session:
        return await outbox.status_counts(session), await outbox.common_errors(session)


@outbox_app.command("send", help=help_for("outbox send"))
def send(
    watch: Annotated[bool, typer.Option(help=help_for("outbox send --watch"))] = False,
) -> None:
    """Send every message that is due now (with --watch, keep going)."""
    from bot import logs

    config = _settings()
    logs.configure(fmt=config.log_format, level=config.log_level)
    sent = _run(_send(config, watch=watch))
    typer.echo(render("cli_outbox_sent", count=sent))


async def _send(config: Settings, *, watch: bool) -> int:
    from bot.runtime import open_runtime

    async with open_runtime(config, clock=SystemClock()) as runtime:
        if not watch:
            return await runtime.outbox.drain()
        async with runtime.outbox.running(poll=1.0):
            await asyncio.Event().wait()
    return 0
