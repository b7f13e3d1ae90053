"""The platforms' HTTP client: aiohttp in service and httpx over a given transport send the
same bytes and read the same answers, and every way a call can fail becomes one of three
exceptions (bot/channels/http.py). A raw socket server plays the platform, so each failure
(a refused port, a hang, an endless answer, a dropped connection, a proxy) is real."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest

from bot.channels.http import (
    MAX_ANSWER_BYTES,
    AnswerTimeout,
    ConnectFailed,
    NoAnswer,
    PlatformHttp,
    open_platform_http,
)

Reply = Callable[[asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Heard:
    line: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RawServer:
    """Records each request; answers with `reply` (JSON {"errcode": 0} unless replaced)."""

    port: int = 0
    heard: list[Heard] = field(default_factory=list)
    reply: Reply | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line, *rest = head.decode("latin-1").split("\r\n")
                headers = {k.lower(): v for k, _, v in (h.partition(": ") for h in rest if h)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.heard.append(Heard(line, headers, body))
                await (self.reply or answer_json({"errcode": 0, "errmsg": "ok"}))(writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def answer_json(value: object, status: str = "200 OK") -> Reply:
    async def reply(writer: asyncio.StreamWriter) -> None:
        body = json.dumps(value, ensure_ascii=False).encode()
        head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()

    return reply


@asynccontextmanager
async def raw_server() -> AsyncIterator[RawServer]:
    raw = RawServer()
    server = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
    raw.port = server.sockets[0].getsockname()[1]
    async with server:
        yield raw
        server.close()


CLIENTS: dict[str, Callable[[float], AbstractAsyncContextManager[PlatformHttp]]] = {
    "aiohttp": lambda timeout: open_platform_http(timeout),
    "httpx": lambda timeout: open_platform_http(timeout, httpx.AsyncHTTPTransport()),
}


Opener = Callable[[float], AbstractAsyncContextManager[PlatformHttp]]


@pytest.fixture(params=sorted(CLIENTS))
def client_of(request: pytest.FixtureRequest) -> Opener:
    return CLIENTS[request.param]


def platform(
    client_of: Opener, phase_timeout: float = 2.0
) -> AbstractAsyncContextManager[PlatformHttp]:
    return client_of(phase_timeout)


async def test_both_clients_send_the_same_request_and_read_the_same_answer() -> None:
    sent: dict[str, Heard] = {}
    answers = {}
    async with raw_server() as raw:
        for name, open_client in CLIENTS.items():
            raw.reply = answer_json({"errcode": 0, "名字": "张三"})
            async with open_client(2.0) as http:
                answers[name] = await http.request(
                    "POST",
                    f"{raw.base}/cgi-bin/message/send",
                    params={"access_token": "tok en&="},
                    headers={"X-Trace": "1"},
                    json={"text": {"content": "你好 <b>"}, "n": 1},
                )
            sent[name] = raw.heard[-1]

    for heard in sent.values():
        assert heard.line == "POST /cgi-bin/message/send?access_token=tok+en%26%3D HTTP/1.1"
        assert heard.body == '{"text":{"content":"你好 <b>"},"n":1}'.encode()  # no \\u escapes
        assert heard.headers["content-type"] == "application/json"
        assert heard.headers["x-trace"] == "1"
    assert answers["aiohttp"] == answers["httpx"]
    assert answers["aiohttp"].status_code == 200 and answers["aiohttp"].is_success
    assert answers["aiohttp"].json() == {"errcode": 0, "名字": "张三"}


async def test_a_non_2xx_answer_is_an_answer(client_of: Opener) -> None:
    async with raw_server() as raw, platform(client_of) as http:
        raw.reply = answer_json({"code": "Forbidden"}, status="403 Forbidden")
        answer = await http.request("GET", f"{raw.base}/v1.0/x")
    assert answer.status_code == 403 and not answer.is_success
    assert answer.json() == {"code": "Forbidden"}


async def test_a_file_goes_as_multipart(client_of: Opener) -> None:
    async with raw_server() as raw, platform(client_of) as http:
        files = {"media": ("名单.xlsx", b"\x00PK-bytes", "application/octet-stream")}
        await http.request("POST", f"{raw.base}/cgi-bin/media/upload", files=files)
    [heard] = raw.heard
    assert heard.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="media"' in heard.body and b"\x00PK-bytes" in heard.body
    assert b"application/octet-stream" in heard.body


async def test_a_refused_connection_is_connect_failed(
    client_of: Opener,
) -> None:
    async with raw_server() as raw:
        port = raw.port  # closed on exit: nothing listens there any more
    async with platform(client_of) as http:
        with pytest.raises(ConnectFailed):
            await http.request("POST", f"http://127.0.0.1:{port}/x", content=b"{}")


async def test_a_platform_that_never_answers_times_out(
    client_of: Opener,
) -> None:
    async def hang(writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    async with raw_server() as raw, platform(client_of, phase_timeout=0.2) as http:
        raw.reply = hang
        with pytest.raises(AnswerTimeout):
            await asyncio.wait_for(http.request("GET", f"{raw.base}/x"), 3)


async def test_a_dropped_connection_is_no_answer(client_of: Opener) -> None:
    async def drop(writer: asyncio.StreamWriter) -> None:
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"errc')
        await writer.drain()
        writer.transport.abort()

    async with raw_server() as raw, platform(client_of) as http:
        raw.reply = drop
        with pytest.raises(NoAnswer) as caught:
            await http.request("GET", f"{raw.base}/x")
    assert not isinstance(caught.value, ConnectFailed)  # a request may have been sent


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_an_endless_answer_is_not_read_to_the_end(client_of: Opener, declared: bool) -> None:
    size = MAX_ANSWER_BYTES + 1

    async def flood(writer: asyncio.StreamWriter) -> None:
        if declared:
            writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
            writer.write(b" " * size)
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b" " * 65536
            for _ in range(size // len(chunk) + 1):
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            writer.write(b"0\r\n\r\n")
        await writer.drain()

    async with raw_server() as raw, platform(client_of) as http:
        raw.reply = flood
        with pytest.raises(NoAnswer, match="too long"):
            await http.request("GET", f"{raw.base}/x")


async def test_the_service_client_goes_through_the_environments_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A school whose servers reach qyapi.weixin.qq.com only through a proxy sets
    HTTP(S)_PROXY; the client in service honours it (httpx did, by default)."""
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with raw_server() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base)
        monkeypatch.setenv("http_proxy", proxy.base)
        async with open_platform_http(2.0) as http:
            answer = await http.request("GET", "http://qyapi.example/cgi-bin/gettoken")
    assert answer.json()["errcode"] == 0
    assert proxy.heard[0].line == "GET http://qyapi.example/cgi-bin/gettoken HTTP/1.1"
