"""The WeCom server API over the platforms' HTTP client (wechatpy's client is synchronous).

Every call carries the cached access token; WeCom's error codes become the channel error tree:
a rejected token is refetched once, busy/limit/5xx/timeouts are transient, and refusals an
operator must fix (60020 untrusted IP, bad secret) are configuration errors shown on /healthz.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.base import ConfigurationError, PlatformError, TransientError
from bot.channels.http import Answer, AnswerTimeout, NoAnswer, PlatformHttp, encode_json
from bot.channels.tokens import TokenCache
from bot.clock import Clock
from storage.db import session_scope
from storage.messaging.health import channel_problems, report_problem

log = logging.getLogger(__name__)

CHANNEL = "wecom"
TOKEN_REJECTED = frozenset({40014, 42001})
TRANSIENT = frozenset({-1, 45009, 45033})
CONFIGURATION = frozenset({40001, 40013, 48002, 60020})
"""Invalid secret, invalid CorpID, API not permitted for the app, caller IP not trusted."""

NO_RESPONSE = 0
"""PlatformError code for a call that got no answer at all (timeout, connection refused)."""

Call = Callable[[str], Awaitable[dict[str, Any]]]


class RedactSecrets(logging.Filter):
    """httpx logs every request URL at INFO, and WeCom wants corpsecret and access_token in
    the query string: keep both out of the logs."""

    pattern = re.compile(r"(corpsecret|access_token)=[^&\s\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._clean(arg) for arg in record.args)
        return True

    def _clean(self, arg: object) -> object:
        if self.pattern.search(str(arg)):
            return self.pattern.sub(r"\1=***", str(arg))
        return arg


def redact_http_logs() -> None:
    """Idempotent: install RedactSecrets on the httpx logger."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())


class HealthRecord:
    """Writes a configuration problem for /healthz, and clears it after a later success."""

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], clock: Clock, recheck: float = 60
    ) -> None:
        self._sessions, self._clock = sessions, clock
        self._recheck = timedelta(seconds=recheck)
        self._next_check: datetime | None = None  # None: check at the first success

    async def problem(self, problem: str) -> None:
        log.error("wecom refuses us until an operator acts: %s", problem)
        async with session_scope(self._sessions) as session:
            await report_problem(session, channel=CHANNEL, problem=problem, at=self._clock.now())
        self._next_check = None

    async def success(self) -> None:
        """Clear a recorded problem; looks at most once a minute (another process may have
        recorded it), so a steady stream of sends costs no database work."""
        now = self._clock.now()
        if self._next_check is not None and now < self._next_check:
            return
        self._next_check = now + self._recheck
        async with session_scope(self._sessions) as session:
            if CHANNEL in await channel_problems(session):
                await report_problem(session, channel=CHANNEL, problem=None, at=now)
                log.info("wecom works again; configuration problem cleared")


class WeComApi:
    def __init__(
        self,
        *,
        http: PlatformHttp,
        base: str,
        corp_id: str,
        agent_id: int,
        secret: str,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
    ) -> None:
        self._http, self._base = http, base.rstrip("/")
        self._corp_id, self._secret = corp_id, secret
        self.tokens = TokenCache(
            sessions=sessions, clock=clock, key=f"wecom:{corp_id}:{agent_id}", fetch=self._fetch
        )
        self.health = HealthRecord(sessions=sessions, clock=clock)
        redact_http_logs()

    async def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST JSON to /cgi-bin/<path>; the answer when errcode is 0."""
        body = encode_json(payload)  # WeCom refuses \\uXXXX escapes (40033)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        return await self._guarded(
            lambda token: self._request("POST", path, token, content=body, headers=headers)
        )

    async def upload(self, *, name: str, content: bytes, kind: str = "file") -> str:
        """Upload a temporary media file (valid 3 days); its media_id."""
        files = {"media": (name, content, "application/octet-stream")}
        data = await self._guarded(
            lambda token: self._request("POST", "media/upload", token, files=files, type=kind)
        )
        return str(data["media_id"])

    async def _guarded(self, call: Call) -> dict[str, Any]:
        try:
            data = await self._with_token(call)
        except ConfigurationError as exc:
            await self.health.problem(str(exc))
            raise
        await self.health.success()
        return data

    async def _with_token(self, call: Call) -> dict[str, Any]:
        token = await self.tokens.get()
        data = await call(token)
        if data.get("errcode") in TOKEN_REJECTED:
            log.info("wecom rejected the access token (%s); fetching a new one", data["errcode"])
            data = await call(await self.tokens.invalidate(token))
        return checked(data)

    async def _fetch(self) -> tuple[str, int]:
        params = {"corpid": self._corp_id, "corpsecret": self._secret}
        data = checked(await self._request("GET", "gettoken", None, **params))
        log.info("fetched a new wecom access token")
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    async def _request(
        self, method: str, path: str, token: str | None, **options: Any
    ) -> dict[str, Any]:
        kwargs = {k: options.pop(k) for k in ("content", "headers", "files") if k in options}
        params = {**options, **({"access_token": token} if token else {})}
        url = f"{self._base}/cgi-bin/{path}"
        try:
            response = await self._http.request(method, url, params=params, **kwargs)
        except AnswerTimeout as exc:
            raise TransientError(NO_RESPONSE, f"{path}: timed out") from exc
        except NoAnswer as exc:
            raise TransientError(NO_RESPONSE, f"{path}: {exc}") from exc
        return _json_of(response, path)


def _json_of(response: Answer, path: str) -> dict[str, Any]:
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientError(response.status_code, f"{path}: HTTP {response.status_code}")
    if response.status_code != 200:
        raise PlatformError(response.status_code, f"{path}: HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as exc:
        raise TransientError(response.status_code, f"{path}: answer is not JSON") from exc
    if not isinstance(data, dict):
        raise TransientError(response.status_code, f"{path}: answer is not a JSON object")
    return data


def checked(data: dict[str, Any]) -> dict[str, Any]:
    """The answer itself when errcode is 0; otherwise the matching channel error."""
    try:
        code = int(data.get("errcode") or 0)
    except (TypeError, ValueError) as exc:
        raise TransientError(NO_RESPONSE, "errcode is not a number") from exc
    if code == 0:
        return data
    message = str(data.get("errmsg", ""))[:300]
    if code in TRANSIENT or code in TOKEN_REJECTED:
        raise TransientError(code, message)
    if code in CONFIGURATION:
        raise ConfigurationError(code, message)
    raise PlatformError(code, message)
