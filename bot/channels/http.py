"""The platforms' HTTP client: one small interface, on aiohttp in service, on any httpx
transport when one is given (the tests' fake platforms, a caller's own transport).

Why not httpx alone: every outbox message is one platform API call, and one `message/send`
through httpx cost 0.72-0.83 CPU-ms on the bench machine (its URL parser, its header and
response models, httpcore's pool and h11 are all pure Python), against 0.16 through aiohttp,
whose parser and URL handling are compiled (3,000 POSTs to bench/fake_wecom_api.py, 4 at
a time). httpx-aiohttp's transport keeps httpx's models and
still cost 0.39. The channels need little of either client: a method, a URL with a query, a
JSON or multipart body, the status and the answer's bytes. So the channels speak this
interface, and each client is a dozen lines behind it; errors become three exceptions the
channels map onto their error tree.

Both clients: every phase (connect, each read) has the given timeout, the environment's
HTTP(S)_PROXY and NO_PROXY are honoured (aiohttp's own `trust_env` looks them up, and .netrc,
on a worker thread for every request, two thread hops that cost more than the call; here
they are looked up once per origin), JSON bodies are compact UTF-8 (no \\uXXXX escapes:
WeCom refuses them, 40033), and an answer longer than MAX_ANSWER_BYTES is no answer.
Error texts name the exception's type only: a URL may carry an access token.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL

MAX_ANSWER_BYTES = 4 * 1024 * 1024
"""A platform's answers are a few hundred bytes; a proxy's endless page is not read to the end."""

MAX_ORIGINS = 256
"""Proxy lookups remembered (the platforms' API hosts and DingTalk's session webhooks)."""

Files = Mapping[str, tuple[str, bytes, str]]
"""Multipart fields: name → (file name, content, content type)."""


class NoAnswer(Exception):
    """The platform gave no usable answer: the connection broke, or the answer was too long."""


class ConnectFailed(NoAnswer):
    """No connection was made (refused, no such host): nothing was sent."""


class AnswerTimeout(NoAnswer):
    """A phase of the call (connecting, or waiting for bytes) took longer than the timeout."""


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    content: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not JSON."""
        return jsonlib.loads(self.content)


def encode_json(value: Any) -> bytes:
    """Stable, compact UTF-8 JSON: a retry of the same payload is byte-identical."""
    return jsonlib.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Call:
    """One request as each client's `_exchange` receives it (a JSON body already encoded)."""

    method: str
    url: str
    params: Mapping[str, str] | None
    headers: dict[str, str]
    content: bytes | None
    files: Files | None


class PlatformHttp(ABC):
    """What the channels call; each client supplies `_exchange`."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        json: Any = None,
        files: Files | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        if json is not None:
            sent = {"Content-Type": "application/json", **sent}
            content = encode_json(json)
        return await self._exchange(Call(method, url, params, sent, content, files))

    @abstractmethod
    async def _exchange(self, call: Call) -> Answer: ...


Proxy = tuple[URL | None, aiohttp.BasicAuth | None]


def _env_proxy(url: URL) -> Proxy:
    """The environment's proxy for a URL (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), if any."""
    try:
        return get_env_proxy_for_url(url)
    except LookupError:
        return None, None


class AiohttpPlatform(PlatformHttp):
    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session
        self._proxies: dict[str, Proxy] = {}

    async def _proxy_for(self, url: str) -> Proxy:
        end = url.find("/", url.find("//") + 2)
        key = url if end < 0 else url[:end]  # scheme://host[:port], unparsed
        known = self._proxies.get(key)
        if known is None:  # proxy_bypass may resolve names: not on the loop
            if len(self._proxies) >= MAX_ORIGINS:
                self._proxies.clear()
            known = self._proxies[key] = await asyncio.to_thread(_env_proxy, URL(url).origin())
        return known

    async def _exchange(self, call: Call) -> Answer:
        body: bytes | aiohttp.FormData | None = call.content
        if call.files:
            form = aiohttp.FormData()
            for name, (filename, payload, kind) in call.files.items():
                form.add_field(name, payload, filename=filename, content_type=kind)
            body = form
        try:
            proxy, proxy_auth = await self._proxy_for(call.url)
            async with self._session.request(
                call.method,
                call.url,
                params=call.params,
                headers=call.headers,
                data=body,
                allow_redirects=False,
                proxy=proxy,
                proxy_auth=proxy_auth,
            ) as response:
                length = response.content_length
                if length is not None and length > MAX_ANSWER_BYTES:
                    raise NoAnswer("answer too long")
                if length is not None:  # the platforms' answers: read in one go
                    return Answer(response.status, await response.read())
                read = bytearray()
                async for chunk in response.content.iter_any():
                    read += chunk
                    if len(read) > MAX_ANSWER_BYTES:
                        raise NoAnswer("answer too long")
                return Answer(response.status, bytes(read))
        except aiohttp.ClientConnectorError as exc:  # before TimeoutError: DNS may time out
            raise ConnectFailed(type(exc).__name__) from None
        except TimeoutError as exc:  # aiohttp's own timeouts are TimeoutErrors too
            raise AnswerTimeout(type(exc).__name__) from None
        except aiohttp.ClientError as exc:
            raise NoAnswer(type(exc).__name__) from None


class HttpxPlatform(PlatformHttp):
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def _exchange(self, call: Call) -> Answer:
        try:
            response = await self._client.request(
                call.method,
                call.url,
                params=call.params,
                headers=call.headers,
                content=call.content,
                files=call.files,
            )
        except httpx.ConnectError as exc:
            raise ConnectFailed(type(exc).__name__) from None
        except httpx.TimeoutException as exc:
            raise AnswerTimeout(type(exc).__name__) from None
        except httpx.TransportError as exc:
            raise NoAnswer(type(exc).__name__) from None
        if len(response.content) > MAX_ANSWER_BYTES:
            raise NoAnswer("answer too long")
        return Answer(response.status_code, response.content)


@asynccontextmanager
async def open_platform_http(
    phase_timeout: float, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[PlatformHttp]:
    """aiohttp, or httpx over `transport` when one is given; closed on exit. Each phase of a
    call (connecting, each wait for bytes) may take `phase_timeout` seconds."""
    if transport is not None:
        async with httpx.AsyncClient(timeout=phase_timeout, transport=transport) as client:
            yield HttpxPlatform(client)
        return
    timeouts = aiohttp.ClientTimeout(
        total=None, connect=phase_timeout, sock_connect=phase_timeout, sock_read=phase_timeout
    )
    async with aiohttp.ClientSession(timeout=timeouts) as session:
        yield AiohttpPlatform(session)
