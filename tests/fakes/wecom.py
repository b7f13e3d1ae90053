"""FakeWeComServer: the WeCom server API as documented, errors and silent drops included.

Use it through `fake.transport()` (httpx.ASGITransport that also honours client timeouts) or
as a real HTTP server with `with fake.serve() as url:`. See tests/fakes/wecom_callbacks.py for
encrypted callbacks.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import serve_app
from tests.fakes.wecom_faults import FaultSchedule
from tests.fakes.wecom_rules import (
    Deadline,
    content_of,
    error,
    multipart_field,
    validate_card,
    validate_send,
)

Answer = dict[str, Any]


@dataclass
class Call:
    path: str
    params: dict[str, str]
    body: bytes
    json: Any = None
    answer: Any = None  # the JSON the fake answered, when it answered JSON


@dataclass
class _Token:
    expires_at: datetime
    rejected: int | None = None  # forced 42001 (expired) or 40014 (invalid)


@dataclass
class _State:
    tokens: dict[str, _Token] = field(default_factory=dict)
    failures: deque[tuple[str, int | str]] = field(default_factory=deque)
    duplicates: dict[str, tuple[datetime, Answer]] = field(default_factory=dict)
    recent: dict[str, list[datetime]] = field(default_factory=dict)
    cards: dict[str, bool] = field(default_factory=dict)  # response_code → used
    task_ids: set[str] = field(default_factory=set)
    msgids: set[str] = field(default_factory=set)
    media: dict[str, tuple[str, bytes]] = field(default_factory=dict)


class FakeWeComServer:
    def __init__(
        self,
        *,
        corp_id: str,
        secret: str,
        agent_id: int,
        clock: Any,
        users: tuple[str, ...] = (),
        token_lifetime: int = 7200,
        per_member_per_minute: int = 30,
        hang_seconds: float = 5.0,
        send_delay: float = 0.0,
    ) -> None:
        self.corp_id, self.secret, self.agent_id = corp_id, secret, agent_id
        self._now: Callable[[], datetime] = clock.now if hasattr(clock, "now") else clock
        self.users = {user.lower() for user in users}
        self.token_lifetime, self.per_member_per_minute = token_lifetime, per_member_per_minute
        self.hang_seconds = hang_seconds
        self.send_delay = send_delay  # seconds between delivering and answering (crash tests)
        self.calls: list[Call] = []
        self.deliveries: list[tuple[str, str, Any]] = []
        self.dropped: list[tuple[str, str, Any]] = []
        self.suppressed = 0  # identical bodies answered by the duplicate check
        self.truncated = 0  # text or markdown over 2048 bytes (WeCom cuts it)
        self.gettoken_calls = 0
        self.card_updates: list[dict[str, Any]] = []
        self.recalled: list[str] = []
        self.uploads: list[tuple[str, bytes]] = []
        self.faults: FaultSchedule | None = None  # a seeded random schedule (fault tests)
        self._state = _State()
        self._serial = count(1)
        self._released = False
        self._app = Starlette(routes=self._routes())

    # ---- test controls -------------------------------------------------------------------

    def add_users(self, *users: str) -> None:
        self.users.update(user.lower() for user in users)

    def fail_next(self, failure: int | str, *, times: int = 1, path: str = "message/send") -> None:
        """The next `times` calls to `path` answer errcode `failure`, or "http500", or "hang"
        (no answer for hang_seconds: a client timeout fires first), or "lost" (done, then no
        answer for hang_seconds)."""
        self._state.failures.extend([(path, failure)] * times)

    def expire_tokens(self, code: int = 42001) -> None:
        """Every token issued so far is refused with `code` (42001 expired, 40014 invalid)."""
        for token in self._state.tokens.values():
            token.rejected = code

    def new_response_code(self) -> str:
        """A response_code as a card click callback carries it."""
        code = f"rc-click-{next(self._serial)}"
        self._state.cards[code] = False
        return code

    def delivered_to(self, user: str) -> int:
        return sum(1 for who, _, _ in self.deliveries if who == user.lower())

    def contents_for(self, user: str) -> list[Any]:
        return [content for who, _, content in self.deliveries if who == user.lower()]

    def sends(self) -> list[Call]:
        return [call for call in self.calls if call.path == "message/send"]

    def release(self) -> None:
        """End any hang at once (a served fake does this on exit)."""
        self._released = True

    # ---- serving ---------------------------------------------------------------------------

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._app(scope, receive, send)

    def transport(self) -> httpx.AsyncBaseTransport:
        return Deadline(httpx.ASGITransport(app=self))

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Run under uvicorn on 127.0.0.1 (free port); yields the base URL."""
        self._released = False
        try:
            with serve_app(self) as url:
                yield url
                self.release()
        finally:
            self.release()

    # ---- routes ----------------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        handlers = {
            "gettoken": (self._gettoken, ["GET"]),
            "message/send": (self._send, ["POST"]),
            "message/update_template_card": (self._update_card, ["POST"]),
            "message/recall": (self._recall, ["POST"]),
            "media/upload": (self._upload, ["POST"]),
        }
        return [
            Route(f"/cgi-bin/{path}", self._endpoint(path, handler), methods=methods)
            for path, (handler, methods) in handlers.items()
        ]

    def _endpoint(self, path: str, handler: Callable[[Request, bytes], Any]) -> Any:
        async def endpoint(request: Request) -> Response:
            body = await request.body()
            call = Call(path, dict(request.query_params), body)
            if request.headers.get("content-type", "").startswith("application/json"):
                call.json = json.loads(body)
            self.calls.append(call)
            failure = self._take_failure(path)
            if failure is None and self.faults is not None:
                failure = self.faults.draw(path)
                if failure == 42001:  # the token expired early: refused below, as WeCom does
                    self.expire_tokens(42001)
                    failure = None
                elif failure == "hang":  # a gateway timeout for a client that still listens
                    await self._hang()
                    return Response("gateway timeout", status_code=504)
            lost = failure == "lost"  # WeCom acts, then the answer never arrives
            if lost:
                failure = None
            if failure == "hang":
                await self._hang()
            elif failure == "http500":
                return Response("internal error", status_code=500)
            elif failure is not None:
                return error(int(failure), f"injected failure {failure}")
            if path != "gettoken" and (refused := self._check_token(request)) is not None:
                return refused
            result: Response = await handler(request, body)
            if isinstance(result, JSONResponse):
                call.answer = json.loads(bytes(result.body))
            if lost:
                await self._hang()
            return result

        return endpoint

    def _take_failure(self, path: str) -> int | str | None:
        failures = self._state.failures
        for index, (where, failure) in enumerate(failures):
            if where == path:
                del failures[index]
                return failure
        return None

    async def _hang(self) -> None:
        # Polling, not an asyncio.Event: release() may come from another thread and loop.
        deadline = asyncio.get_running_loop().time() + self.hang_seconds
        while not self._released and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    def _check_token(self, request: Request) -> JSONResponse | None:
        token = self._state.tokens.get(request.query_params.get("access_token", ""))
        if token is None:
            return error(40014, "invalid access_token")
        if token.rejected is not None:
            return error(token.rejected, "access_token refused")
        if self._now() >= token.expires_at:
            return error(42001, "access_token expired")
        return None

    async def _gettoken(self, request: Request, body: bytes) -> Response:
        self.gettoken_calls += 1
        if request.query_params.get("corpid") != self.corp_id:
            return error(40013, "invalid corpid")
        if request.query_params.get("corpsecret") != self.secret:
            return error(40001, "invalid credential")
        token = f"token-{next(self._serial)}"
        expires = self._now() + timedelta(seconds=self.token_lifetime)
        self._state.tokens[token] = _Token(expires)
        answer = {"errcode": 0, "errmsg": "ok", "access_token": token}
        return JSONResponse({**answer, "expires_in": self.token_lifetime})

    async def _send(self, request: Request, body: bytes) -> Response:
        payload = json.loads(body)
        if (invalid := validate_send(payload, self.agent_id, self._state.media)) is not None:
            return invalid
        digest = hashlib.sha256(body).hexdigest()
        if (earlier := self._earlier(digest, payload)) is not None:
            self.suppressed += 1
            return JSONResponse(earlier)
        if (refused := validate_card(payload, self._state.task_ids)) is not None:
            return refused
        users = [user.lower() for user in str(payload.get("touser", "")).split("|") if user]
        valid = [user for user in users if user in self.users]
        if not valid:
            return error(81013, "user & party & tag all invalid")
        answer = self._deliver(payload, valid, [u for u in users if u not in self.users])
        if payload.get("enable_duplicate_check") == 1:
            interval = int(payload.get("duplicate_check_interval", 1800))
            until = self._now() + timedelta(seconds=interval)
            self._state.duplicates[digest] = (until, answer)
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        return JSONResponse(answer)

    def _earlier(self, digest: str, payload: dict[str, Any]) -> Answer | None:
        if payload.get("enable_duplicate_check") != 1:
            return None
        until, answer = self._state.duplicates.get(digest, (None, None))
        return answer if until is not None and self._now() < until else None

    def _deliver(self, payload: dict[str, Any], valid: list[str], invalid: list[str]) -> Answer:
        kind = payload["msgtype"]
        content = content_of(payload)
        if kind in ("text", "markdown") and len(content.encode("utf-8")) > 2048:
            self.truncated += 1
        for user in valid:
            self._one(user, kind, content)
        msgid = f"msg-{next(self._serial)}"
        self._state.msgids.add(msgid)
        answer: Answer = {"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(invalid)}
        answer["msgid"] = msgid
        if kind == "template_card":
            answer["response_code"] = f"rc-send-{next(self._serial)}"
            self._state.cards[answer["response_code"]] = False
        return answer

    def _one(self, user: str, kind: str, content: Any) -> None:
        """30 a minute per member; the rest vanish silently, as WeCom documents."""
        now = self._now()
        recent = [t for t in self._state.recent.get(user, []) if now - t < timedelta(minutes=1)]
        if len(recent) >= self.per_member_per_minute:
            self.dropped.append((user, kind, content))
        else:
            recent.append(now)
            self.deliveries.append((user, kind, content))
        self._state.recent[user] = recent

    async def _update_card(self, request: Request, body: bytes) -> Response:
        payload = json.loads(body)
        if payload.get("agentid") != self.agent_id:
            return error(40056, "invalid agentid")
        code = payload.get("response_code")
        if self._state.cards.get(code, True):
            return error(40058, "response_code unknown or already used")
        self._state.cards[code] = True
        self.card_updates.append(payload)
        return JSONResponse({"errcode": 0, "errmsg": "ok", "invaliduser": []})

    async def _recall(self, request: Request, body: bytes) -> Response:
        msgid = json.loads(body).get("msgid")
        if msgid not in self._state.msgids:
            return error(40058, "invalid msgid")
        self._state.msgids.discard(msgid)
        self.recalled.append(msgid)
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    async def _upload(self, request: Request, body: bytes) -> Response:
        kind = request.query_params.get("type")
        if kind not in ("file", "image"):
            return error(40004, "invalid media type")
        part = multipart_field(request.headers.get("content-type", ""), body, "media")
        if part is None or not part[1]:
            return error(41005, "media data missing")
        name, content = part
        if kind == "image" and not content.startswith((b"\x89PNG", b"\xff\xd8")):
            return error(40005, "invalid file type: an image must be PNG or JPG")
        media_id = f"media-{next(self._serial)}"
        self._state.media[media_id] = (name, content)
        self.uploads.append((name, content))
        return JSONResponse({"errcode": 0, "errmsg": "ok", "type": kind, "media_id": media_id})
