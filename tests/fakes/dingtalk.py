"""A fake DingTalk OpenAPI: access tokens, robot batchSend, session webhooks, Stream gateway.

An ASGI app: use it behind `httpx.ASGITransport(app=fake)` or serve it with
`tests.fakes.server.serve_app(fake)`. It follows the documented protocol, errors included
(HTTP 400 `InvalidAuthentication` for a stale token, `invalidParameter.userIds.overMax`,
`invalidStaffIdList`, `flowControlledStaffIdList`), and keeps time with an injected clock.
Robot-message bodies and signed callback headers: `tests.fakes.dingtalk_callbacks`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

BATCH_SEND = "/v1.0/robot/oToMessages/batchSend"
ACCESS_TOKEN = "/v1.0/oauth2/accessToken"
GATEWAY = "/v1.0/gateway/connections/open"
SESSION = "/robot/sendBySession"
READ_STATUS = "/v1.0/robot/oToMessages/readStatus"
RECALL = "/v1.0/robot/otoMessages/batchRecall"
CARD_KEYS = {f"sampleActionCard{n}": n for n in range(2, 6)}
REQUIRED = {
    "sampleText": ("content",),
    "sampleMarkdown": ("title", "text"),
    "sampleActionCard": ("title", "text", "singleTitle", "singleURL"),
}


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class FakeDelivery:
    user: str
    msg_key: str
    param: dict[str, Any]
    via: str  # "batch" or "session"
    at: datetime

    @property
    def text(self) -> str:
        """The visible text: content for text messages, the body of markdown and cards."""
        return str(self.param.get("content", self.param.get("text", "")))


@dataclass(frozen=True)
class FakeCall:
    path: str
    body: dict[str, Any]
    token: str | None


@dataclass
class Failure:
    path: str
    status: int
    code: str
    hang: float = 0.0
    after: int = 0  # calls to let through first
    html: bool = False


@dataclass
class FakeSession:
    user: str
    expires: datetime


@dataclass
class FakeDingTalkServer:
    clock: Clock
    app_key: str = "dingfakeappkey"
    app_secret: str = "fake-app-secret"
    robot_code: str | None = None
    base_url: str = "http://dingtalk.test"
    token_lifetime: int = 7200
    users: set[str] | None = None  # None: every user id exists
    flow_limit: int | None = None  # messages per user per minute before flow control
    gateway_endpoint: str = "ws://127.0.0.1:9/connect"
    deliveries: list[FakeDelivery] = field(default_factory=list)
    calls: list[FakeCall] = field(default_factory=list)
    tickets: list[str] = field(default_factory=list)
    token_calls: int = 0
    failures: list[Failure] = field(default_factory=list)
    _tokens: dict[str, datetime] = field(default_factory=dict)
    _sessions: dict[str, FakeSession] = field(default_factory=dict)
    _serial: count[int] = field(default_factory=lambda: count(1))
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    batches: dict[str, list[str]] = field(default_factory=dict)
    """processQueryKey → the users its batchSend reached."""
    read: set[tuple[str, str]] = field(default_factory=set)
    """(processQueryKey, user) pairs read: `mark_read`."""
    recalled: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.robot_code = self.robot_code or self.app_key
        self._app = Starlette(
            routes=[
                Route(ACCESS_TOKEN, self._access_token, methods=["POST"]),
                Route(BATCH_SEND, self._batch_send, methods=["POST"]),
                Route(SESSION, self._session_send, methods=["POST"]),
                Route(GATEWAY, self._gateway, methods=["POST"]),
                Route(READ_STATUS, self._read_status, methods=["GET"]),
                Route(RECALL, self._recall, methods=["POST"]),
            ]
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._app(scope, receive, send)

    # ---- what tests arrange --------------------------------------------------------------

    def fail_next(
        self, path: str, *, status: int, code: str, times: int = 1, after: int = 0
    ) -> None:
        """The next `times` calls to `path` (after `after` good ones) answer this error."""
        self.failures.extend(Failure(path, status, code, after=after) for _ in range(times))

    def hang_next(self, path: str, *, seconds: float = 30.0) -> None:
        self.failures.append(Failure(path, 200, "", hang=seconds))

    def block_page_next(self, path: str) -> None:
        """DingTalk's per-IP limiter answers 200 with an HTML page."""
        self.failures.append(Failure(path, 200, "", html=True))

    def force_expire_tokens(self) -> None:
        """DingTalk revoked every token (e.g. the secret was reset elsewhere)."""
        self._tokens = {token: self.clock.now() for token in self._tokens}

    def open_session(self, user: str, *, minutes: float = 90) -> tuple[str, int]:
        """A 1:1 conversation's sessionWebhook URL and its expiry (ms epoch)."""
        session = uuid.uuid4().hex
        expires = self.clock.now() + timedelta(minutes=minutes)
        self._sessions[session] = FakeSession(user, expires)
        return f"{self.base_url}{SESSION}?session={session}", int(expires.timestamp() * 1000)

    # ---- what tests inspect -------------------------------------------------------------

    def delivered_to(self, user: str) -> list[FakeDelivery]:
        return [d for d in self.deliveries if d.user == user]

    def calls_to(self, path: str) -> list[FakeCall]:
        return [c for c in self.calls if c.path == path]

    async def wait_for_delivery(self, user: str) -> FakeDelivery:
        """The first delivery to `user`, once it arrives (Stream mode delivers in the
        background); callers bound the wait with `asyncio.timeout`. Same event loop only."""
        while not self.delivered_to(user):
            self._arrived.clear()
            await self._arrived.wait()
        return self.delivered_to(user)[0]

    def _record(self, delivery: FakeDelivery) -> None:
        self.deliveries.append(delivery)
        self._arrived.set()

    # ---- the endpoints ------------------------------------------------------------------

    async def _injected(self, path: str) -> Response | None:
        failure = next((f for f in self.failures if f.path == path), None)
        if failure is not None and failure.after:
            failure.after -= 1
            return None
        if failure is None:
            return None
        self.failures.remove(failure)
        if failure.hang:
            await asyncio.sleep(failure.hang)
            return _error(504, "GatewayTimeout")
        if failure.html:
            return HTMLResponse("<html><body>busy</body></html>")
        return _error(failure.status, failure.code)

    async def _access_token(self, request: Request) -> Response:
        body = await request.json()
        self.calls.append(FakeCall(ACCESS_TOKEN, body, None))
        self.token_calls += 1
        if (injected := await self._injected(ACCESS_TOKEN)) is not None:
            return injected
        if (body.get("appKey"), body.get("appSecret")) != (self.app_key, self.app_secret):
            return _error(400, "invalidClientIdOrSecret")
        now = self.clock.now()
        valid = [t for t, expires in self._tokens.items() if expires > now]
        token = valid[0] if valid else f"token-{next(self._serial)}"
        self._tokens.setdefault(token, now + timedelta(seconds=self.token_lifetime))
        remaining = int((self._tokens[token] - now).total_seconds())
        return JSONResponse({"accessToken": token, "expireIn": remaining})

    def _token_ok(self, token: str | None) -> bool:
        expires = self._tokens.get(token or "")
        return expires is not None and expires > self.clock.now()

    async def _batch_send(self, request: Request) -> Response:
        body = await request.json()
        token = request.headers.get("x-acs-dingtalk-access-token")
        self.calls.append(FakeCall(BATCH_SEND, body, token))
        if (injected := await self._injected(BATCH_SEND)) is not None:
            return injected
        if not self._token_ok(token):
            return _error(400, "InvalidAuthentication")
        problem = self._invalid_batch(body)
        if problem:
            return _error(400, problem)
        return JSONResponse(self._deliver_batch(body))

    def _invalid_batch(self, body: dict[str, Any]) -> str | None:
        users = body.get("userIds")
        if body.get("robotCode") != self.robot_code:
            return "invalidParameter.robotCode.auth"
        if not isinstance(users, list) or not users:
            return "invalidParameter.userIds.empty"
        if len(users) > 20:
            return "invalidParameter.userIds.overMax"
        try:
            param = json.loads(body.get("msgParam", ""))
        except (TypeError, ValueError):
            return "invalidParameter.msgParam.invalid"
        return _invalid_param(str(body.get("msgKey")), param)

    def _deliver_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        now, invalid, limited = self.clock.now(), [], []
        param = json.loads(body["msgParam"])
        for user in body["userIds"]:
            if self.users is not None and user not in self.users:
                invalid.append(user)
            elif self._over_limit(user, now):
                limited.append(user)
            else:
                self._record(FakeDelivery(user, body["msgKey"], param, "batch", now))
        key = f"pqk-{next(self._serial)}"
        self.batches[key] = [u for u in body["userIds"] if u not in invalid and u not in limited]
        return {
            "processQueryKey": key,
            "invalidStaffIdList": invalid,
            "flowControlledStaffIdList": limited,
        }

    def _over_limit(self, user: str, now: datetime) -> bool:
        if self.flow_limit is None:
            return False
        recent = [d for d in self.delivered_to(user) if d.at > now - timedelta(minutes=1)]
        return len(recent) >= self.flow_limit

    def mark_read(self, user: str) -> None:
        """The user opens every robot message they were sent."""
        self.read |= {(key, user) for key, users in self.batches.items() if user in users}

    async def _read_status(self, request: Request) -> Response:
        token = request.headers.get("x-acs-dingtalk-access-token")
        self.calls.append(FakeCall(READ_STATUS, dict(request.query_params), token))
        if not self._token_ok(token):
            return _error(400, "InvalidAuthentication")
        key = request.query_params.get("processQueryKey", "")
        if key not in self.batches or key in self.recalled:
            return _error(400, "invalidParameter.processQueryKey")
        infos = [
            {"userId": user, "readStatus": "READ" if (key, user) in self.read else "UNREAD"}
            for user in self.batches[key]
        ]
        return JSONResponse({"sendStatus": "SUCCESS", "messageReadInfoList": infos})

    async def _recall(self, request: Request) -> Response:
        body = await request.json()
        token = request.headers.get("x-acs-dingtalk-access-token")
        self.calls.append(FakeCall(RECALL, body, token))
        if not self._token_ok(token):
            return _error(400, "InvalidAuthentication")
        keys = [key for key in body.get("processQueryKeys", []) if key in self.batches]
        self.recalled.extend(keys)
        return JSONResponse({"successResult": keys, "failedResult": {}})

    async def _session_send(self, request: Request) -> Response:
        body = await request.json()
        self.calls.append(FakeCall(SESSION, body, None))
        if (injected := await self._injected(SESSION)) is not None:
            return injected
        session = self._sessions.get(request.query_params.get("session", ""))
        if session is None or session.expires <= self.clock.now():
            return JSONResponse({"errcode": 300001, "errmsg": "session expired"})
        kind = body.get("msgtype", "")
        inner = body.get(kind)
        if not isinstance(inner, dict):
            return JSONResponse({"errcode": 40035, "errmsg": "invalid msgtype"})
        self._record(FakeDelivery(session.user, kind, inner, "session", self.clock.now()))
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    async def _gateway(self, request: Request) -> Response:
        body = await request.json()
        self.calls.append(FakeCall(GATEWAY, body, None))
        if (injected := await self._injected(GATEWAY)) is not None:
            return injected
        if (body.get("clientId"), body.get("clientSecret")) != (self.app_key, self.app_secret):
            return _error(400, "invalidClientIdOrSecret")
        ticket = uuid.uuid4().hex
        self.tickets.append(ticket)
        return JSONResponse({"endpoint": self.gateway_endpoint, "ticket": ticket})


def _invalid_param(msg_key: str, param: object) -> str | None:
    if not isinstance(param, dict):
        return "invalidParameter.msgParam.invalid"
    if msg_key in CARD_KEYS:
        n = CARD_KEYS[msg_key]
        needed: tuple[str, ...] = ("title", "text")
        needed += tuple(f"action{part}{i}" for i in range(1, n + 1) for part in ("Title", "URL"))
    elif msg_key in REQUIRED:
        needed = REQUIRED[msg_key]
    else:
        return "invalidParameter.msgKey.invalid"
    missing = [name for name in needed if not isinstance(param.get(name), str)]
    return "invalidParameter.msgParam.invalid" if missing else None


def _error(status: int, code: str) -> JSONResponse:
    return JSONResponse(
        {"code": code, "requestid": uuid.uuid4().hex, "message": f"fake error {code}"},
        status_code=status,
    )
