"""CareBot with only the DingTalk channel, wired to a FakeDingTalkServer, for tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from bot.app import create_app
from bot.settings import Settings
from tests.fakes.clock import FakeClock
from tests.fakes.dingtalk import FakeDingTalkServer
from tests.fakes.dingtalk_callbacks import signed_headers


def dingtalk_settings(database_url: str, data_key: str, fake: FakeDingTalkServer) -> Settings:
    return Settings(  # type: ignore[call-arg]
        database_url=database_url,
        data_key=data_key,
        simulator=False,
        dingtalk_app_key=fake.app_key,
        dingtalk_app_secret=fake.app_secret,
        dingtalk_api_base=fake.base_url,
        http_timeout=2.0,
    )


@dataclass
class DingTalkHarness:
    app: FastAPI
    client: httpx.AsyncClient
    fake: FakeDingTalkServer
    clock: FakeClock
    last_ms: int = field(default=0)

    def headers(self) -> dict[str, str]:
        """Fresh signed headers, as DingTalk sends them: every callback has its own timestamp
        (a sign is accepted once), one millisecond apart while the fake clock stands still."""
        self.last_ms = max(int(self.clock.now().timestamp() * 1000), self.last_ms + 1)
        return signed_headers(self.last_ms, self.fake.app_secret)

    async def callback(
        self, body: dict[str, Any], *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """POST a robot message to /dingtalk/callback, freshly signed unless headers are given."""
        sent = headers if headers is not None else self.headers()
        content = json.dumps(body, ensure_ascii=False).encode()
        return await self.client.post("/dingtalk/callback", content=content, headers=sent)

    async def deliver(self) -> int:
        """Let the outbox sender deliver everything due now."""
        sent: int = await self.app.state.outbox.drain()
        return sent


@asynccontextmanager
async def dingtalk_app(
    settings: Settings, *, fake: FakeDingTalkServer, clock: FakeClock
) -> AsyncIterator[DingTalkHarness]:
    """The app's lifespan entered, platform calls going to `fake`, delivery on demand."""
    transport = httpx.ASGITransport(app=fake)
    app = create_app(settings, clock=clock, transport=transport, run_outbox=False)
    async with app.router.lifespan_context(app):
        inbound = httpx.ASGITransport(app=app, client=("203.0.113.7", 443))
        async with httpx.AsyncClient(transport=inbound, base_url="https://carebot.test") as client:
            yield DingTalkHarness(app, client, fake, clock)
