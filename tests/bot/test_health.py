"""/healthz tells anyone whether the service is healthy and only trusted callers why; the API
schema exists only with the simulator; `carebot serve` refuses an exposed simulator."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import create_app
from bot.settings import Settings, is_loopback, simulator_exposed
from tests.fakes.clock import FakeClock


async def test_healthz_details_only_for_loopback_or_the_token(
    app: FastAPI, settings: Settings
) -> None:
    settings.health_token = SecretStr("ops-secret")
    outside = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=outside, base_url="http://carebot.test") as client:
        public = await client.get("/healthz")
        wrong = await client.get("/healthz", headers={"X-Health-Token": "guess"})
        trusted = await client.get("/healthz", headers={"X-Health-Token": "ops-secret"})

    assert public.json() == {"status": "ok"} and wrong.json() == {"status": "ok"}
    assert trusted.json() == {"status": "ok", "database": "ok"}


async def test_the_api_schema_is_served_only_with_the_simulator(
    settings: Settings, clock: FakeClock, engine: AsyncEngine
) -> None:
    quiet = settings.model_copy(update={"simulator": False})
    assert create_app(quiet, clock=clock).openapi_url is None
    assert create_app(settings, clock=clock).openapi_url == "/openapi.json"


def test_an_exposed_simulator_is_refused_and_a_loopback_one_is_not(settings: Settings) -> None:
    assert simulator_exposed(settings, host="0.0.0.0")
    assert simulator_exposed(settings, host="10.1.2.3")
    assert not simulator_exposed(settings, host="127.0.0.1")
    assert not simulator_exposed(settings, host="::1")
    assert not simulator_exposed(settings, host="localhost")
    tokened = settings.model_copy(update={"simulator_token": SecretStr("t" * 24)})
    assert not simulator_exposed(tokened, host="0.0.0.0")
    quiet = settings.model_copy(update={"simulator": False})
    assert not simulator_exposed(quiet, host="0.0.0.0")


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("127.8.9.1") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")
    assert not is_loopback("carebot.example.edu") and not is_loopback("")
