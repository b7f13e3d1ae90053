"""`carebot dingtalk-stream`: receive robot messages over DingTalk Stream mode.

One process runs the dispatcher and the outbox fast path (the web app's lifespan, without
serving HTTP) and holds a websocket to DingTalk's gateway: no public callback URL needed.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from functools import partial

import httpx
import typer

from bot.channels.dingtalk.channel import DingTalkConfig, build_api, receive
from bot.channels.dingtalk.stream import Backoff, Sleep, StreamClient
from bot.channels.http import open_platform_http
from bot.cli.help import help_for
from bot.clock import Clock
from bot.settings import Settings

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    app.command("dingtalk-stream", help=help_for("dingtalk-stream"))(dingtalk_stream)


def dingtalk_stream() -> None:
    """Receive DingTalk robot messages over Stream mode (no public URL needed)."""
    from bot import logs
    from bot.cli.main import run_on_database, settings
    from messages.render import render

    config = settings()
    try:
        DingTalkConfig.from_settings(config)
    except ValueError:
        typer.echo(render("cli_dingtalk_not_configured"), err=True)
        raise typer.Exit(2) from None
    logs.configure(fmt=config.log_format, level=config.log_level)
    with suppress(KeyboardInterrupt):
        run_on_database(run_stream(config))


async def run_stream(
    settings: Settings,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    stop: asyncio.Event | None = None,
    sleep: Sleep = asyncio.sleep,
    backoff: Backoff | None = None,
) -> None:
    """Stream until `stop` is set; `transport` replaces the network for API calls (tests)."""
    from bot.app import create_app

    config = DingTalkConfig.from_settings(settings)
    application = create_app(settings, clock=clock, transport=transport)
    async with (
        application.router.lifespan_context(application),
        open_platform_http(settings.http_timeout, transport) as http,
    ):
        dispatcher = application.state.dispatcher
        api = build_api(
            config,
            sessions=dispatcher.sessions,
            clock=dispatcher.clock,
            http=http,
            timeout=settings.http_timeout,
        )
        on_message = partial(receive, dispatcher=dispatcher, config=config)
        client = StreamClient(api=api, on_message=on_message, backoff=backoff, sleep=sleep)
        log.info("dingtalk stream starting")
        await client.run(stop=stop)
