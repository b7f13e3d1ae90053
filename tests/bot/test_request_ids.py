"""X-Request-ID reaches the log lines only as a plain token."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot.logs import RequestIdMiddleware, message_id


def _app() -> Starlette:
    async def echo(request: Request) -> PlainTextResponse:
        return PlainTextResponse(message_id.get())

    app = Starlette(routes=[Route("/", echo)])
    app.add_middleware(RequestIdMiddleware)
    return app


async def _id_for(header: bytes | None) -> str:
    transport = httpx.ASGITransport(app=_app())
    headers = {"x-request-id": header} if header is not None else {}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return (await client.get("/", headers=headers)).text


async def test_a_plain_request_id_is_kept() -> None:
    assert await _id_for(b"req-2026.12.01:abc") == "req-2026.12.01:abc"


@pytest.mark.parametrize(
    "hostile",
    [b"abc\x1b[31mred", b"ok\r\n2026-12-01 INFO forged line", b"x" * 65, "中文".encode(), b""],
)
async def test_a_hostile_request_id_is_replaced(hostile: bytes) -> None:
    got = await _id_for(hostile)

    assert got != hostile.decode("latin-1") and len(got) == 16 and got.isalnum()
