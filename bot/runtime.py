"""The long-lived pieces every process needs: engine, sessions, HTTP client, senders, outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels import dingtalk, simulator, wecom
from bot.channels.base import Sender
from bot.clock import Clock
from bot.outbox import OutboxSender
from bot.settings import Settings
from storage.db import make_engine, make_sessionmaker


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient
    senders: dict[str, Sender]
    outbox: OutboxSender


def build_senders(
    settings: Settings,
    *,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    http: httpx.AsyncClient,
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
async def open_runtime(
    settings: Settings, *, clock: Clock, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[Runtime]:
    engine = make_engine(settings.database_url, data_key=settings.data_key.get_secret_value())
    sessions = make_sessionmaker(engine)
    try:
        async with httpx.AsyncClient(timeout=settings.http_timeout, transport=transport) as http:
            senders = build_senders(settings, sessions=sessions, clock=clock, http=http)
            lease = timedelta(seconds=settings.outbox_lease_seconds)
            outbox = OutboxSender(sessions=sessions, clock=clock, senders=senders, lease=lease)
            yield Runtime(settings, clock, engine, sessions, http, senders, outbox)
    finally:
        await engine.dispose()
