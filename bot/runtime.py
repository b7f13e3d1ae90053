"""The long-lived pieces every process needs: engine, sessions, reader, HTTP client, senders,
outbox. The reader (storage/reading.py) runs long read-only work off the event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.base import Sender
from bot.channels.dingtalk import channel as dingtalk
from bot.channels.http import PlatformHttp, open_platform_http
from bot.channels.simulator import channel as simulator
from bot.channels.wecom import channel as wecom
from bot.clock import Clock
from bot.outbox.sender import OutboxSender
from bot.settings import Settings
from storage.db import make_engine, make_sessionmaker
from storage.keycheck import require_key
from storage.reading import Reader, open_reader


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    http: PlatformHttp
    senders: dict[str, Sender]
    outbox: OutboxSender
    reader: Reader


def build_senders(
    settings: Settings,
    *,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    http: PlatformHttp,
) -> dict[str, Sender]:
    """The active-send side of every enabled channel."""
    senders: dict[str, Sender] = {}
    if settings.wecom_enabled:
        senders["wecom"] = wecom.build_sender(settings, sessions=sessions, clock=clock, http=http)
    if settings.dingtalk_enabled:
        senders["dingtalk"] = dingtalk.build_sender(
            settings, sessions=sessions, clock=clock, http=http
        )
    if settings.simulator:
        senders["simulator"] = simulator.SimulatorSender()
    return senders


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The engine, once the database is migrated and CAREBOT_DATA_KEY is the key its data is
    encrypted with (storage.keycheck.DataKeyError otherwise): nothing is written before."""
    engine = make_engine(
        settings.database_url,
        data_key=settings.data_key.get_secret_value(),
        previous_key=settings.previous_data_key,
    )
    try:
        async with make_sessionmaker(engine)() as session:
            await require_key(session)
        yield engine
    finally:
        await engine.dispose()


@asynccontextmanager
async def open_runtime(
    settings: Settings, *, clock: Clock, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[Runtime]:
    async with (
        open_database(settings) as engine,
        open_platform_http(settings.http_timeout, transport) as http,
    ):
        sessions = make_sessionmaker(engine)
        senders = build_senders(settings, sessions=sessions, clock=clock, http=http)
        lease = timedelta(seconds=settings.outbox_lease_seconds)
        outbox = OutboxSender(sessions=sessions, clock=clock, senders=senders, lease=lease)
        key = settings.data_key.get_secret_value()
        previous = settings.previous_data_key
        async with open_reader(
            settings.database_url, data_key=key, previous_key=previous
        ) as reader:
            yield Runtime(settings, clock, engine, sessions, http, senders, outbox, reader)
