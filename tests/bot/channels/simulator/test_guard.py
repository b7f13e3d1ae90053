"""Without a token the simulator answers only plainly local requests: a loopback client, a
loopback host name (no DNS rebinding) and no reverse-proxy header."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI


async def _people(app: FastAPI, *, base: str, headers: dict[str, str] | None = None) -> int:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=base) as client:
        return (await client.get("/sim/api/people", headers=headers or {})).status_code


@pytest.mark.parametrize("base", ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]"])
async def test_a_local_request_is_answered(app: FastAPI, base: str) -> None:
    assert await _people(app, base=base) == 200


@pytest.mark.parametrize(
    "header",
    [
        {"X-Forwarded-For": "203.0.113.7"},
        {"X-Real-IP": "203.0.113.7"},
        {"Forwarded": "for=203.0.113.7"},
        {"X-Forwarded-Host": "carebot.example.edu"},
    ],
)
async def test_a_proxied_request_is_refused(app: FastAPI, header: dict[str, str]) -> None:
    assert await _people(app, base="http://127.0.0.1:8000", headers=header) == 403


async def test_a_foreign_host_name_is_refused_even_from_loopback(app: FastAPI) -> None:
    assert await _people(app, base="http://carebot.example.edu") == 403
    assert await _people(app, base="http://rebind.attacker.example:8000") == 403
