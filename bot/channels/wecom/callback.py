"""The WeCom callback routes: URL verification (GET) and messages and card clicks (POST).

WeCom waits 5 s for an answer and then delivers again. We let the dispatcher work for about 4 s:
a single short text reply then rides back passively (encrypted) in the response; otherwise the
answer is an empty 200 and the replies leave through the outbox. A card click is answered by
replacing the card's buttons, passively in time or with message/update_template_card later.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from bot.channels.base import (
    ChannelError,
    Inbound,
    MalformedError,
    PassiveWindow,
    SignatureError,
    clean_text,
)
from bot.channels.wecom.envelope import MAX_BODY, CallbackQuery, Envelope
from bot.channels.wecom.sender import escape_text, fits_passive
from bot.channels.wecom.traits import WECOM
from bot.inbound.dispatch import Dispatcher, Outcome
from messages.render import render

log = logging.getLogger(__name__)

CARD_EVENT = "template_card_event"
CARD_DONE = "card_done"
"""Template of the label that replaces a clicked card's buttons."""


class TooLarge(ChannelError):
    """A callback body over MAX_BODY: answer 413."""


@dataclass(slots=True)
class Timing:
    """Seconds to wait for the handler; WeCom gives up on us after 5."""

    passive: float = 4.0
    claimed: float = 4.8


def to_inbound(fields: dict[str, Any], *, now: datetime) -> Inbound | None:
    """A message or card click as an Inbound; None for events no handler answers.

    Non-text messages (image, voice, file, location...) come in with text="" so the person
    gets the kind "not understood" answer rather than silence. Text and button keys are
    cleaned (`clean_text`).
    """
    user = _field(fields, "FromUserName")
    kind = _field(fields, "MsgType").lower()
    if kind == "event":
        if _field(fields, "Event").lower() != CARD_EVENT:
            return None
        key = _event_key(fields, "TaskId", "EventKey")
        button = clean_text(_field(fields, "EventKey"))
        return Inbound(WECOM.name, user, key, now, text=None, button=button)
    msgid = _field(fields, "MsgId") or _event_key(fields)
    text = clean_text(_field(fields, "Content")) if kind == "text" else ""
    return Inbound(WECOM.name, user, msgid, now, text=text)


def _field(fields: dict[str, Any], name: str) -> str:
    """A leaf field's text ("" when absent); the fields every message has are required."""
    value = fields.get(name)
    if value is None and name in ("FromUserName", "MsgType", "CreateTime"):
        raise MalformedError(f"no {name}")
    if value is not None and not isinstance(value, str):
        raise MalformedError(f"{name} is not a single value")
    return value or ""


def _event_key(fields: dict[str, Any], *extra: str) -> str:
    """Events have no MsgId: FromUserName + CreateTime (+ TaskId + EventKey), hashed so the
    key is short and no log line carries a userid."""
    names = ("FromUserName", "CreateTime", *extra)
    raw = "\n".join(_field(fields, name) for name in names)
    return "evt-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:40]


class WeComCallback:
    def __init__(self, *, envelope: Envelope, max_skew: int) -> None:
        self.envelope, self.max_skew = envelope, max_skew
        self.timing = Timing()
        self._background: set[asyncio.Future[None]] = set()

    def query(self, request: Request, *, now: datetime, echo: bool = False) -> CallbackQuery:
        """The signed query, refused when incomplete or when its timestamp is too far off."""
        params = request.query_params
        names = ("msg_signature", "timestamp", "nonce", *(("echostr",) if echo else ()))
        if any(not params.get(name) for name in names):
            raise SignatureError("incomplete callback query")
        timestamp = params["timestamp"]
        if self.max_skew and not _fresh(timestamp, now=now, skew=self.max_skew):
            raise SignatureError("callback timestamp too far from now")
        return CallbackQuery(
            params["msg_signature"], timestamp, params["nonce"], params.get("echostr")
        )

    async def answer_message(
        self, dispatcher: Dispatcher, inbound: Inbound, query: CallbackQuery
    ) -> Response:
        window = PassiveWindow(fits=fits_passive)
        task = asyncio.create_task(dispatcher.dispatch(inbound, window=window))
        outcome = await self._outcome(task, window)
        if outcome is None:
            await dispatcher.hold(inbound, task)  # durable before WeCom hears 200
            return empty()
        if outcome.passive is None:
            return empty()
        content = escape_text(outcome.passive.text)
        reply = self.envelope.text_reply(
            to=inbound.account, content=content, at=dispatcher.clock.now()
        )
        return self._sealed(reply, query)

    async def answer_click(
        self,
        dispatcher: Dispatcher,
        inbound: Inbound,
        query: CallbackQuery,
        *,
        update_later: Callable[[], Awaitable[None]],
    ) -> Response:
        """Replies go through the outbox; the passive answer replaces the clicked card's
        buttons with a "handled" label (or `update_later` does, through the API, when the
        handler is slow), so nobody presses it twice."""
        task = asyncio.create_task(dispatcher.dispatch(inbound))
        if not await _finished(task, self.timing.passive):
            log.info("wecom card handler is slow; the card is updated when it is done")
            self._keep(task, then=update_later)
            await dispatcher.hold(inbound, task)  # durable before WeCom hears 200
            return empty()
        task.result()
        reply = self.envelope.button_update(
            to=inbound.account, label=render(CARD_DONE), at=dispatcher.clock.now()
        )
        return self._sealed(reply, query)

    async def _outcome(self, task: asyncio.Task[Outcome], window: PassiveWindow) -> Outcome | None:
        """The dispatch outcome if it finished in time; None when the response leaves first."""
        try:
            if await _finished(task, self.timing.passive):
                return task.result()
            claimed = not window.close()  # a reply rides in this response: wait a little more
            if claimed and await _finished(task, self.timing.claimed - self.timing.passive):
                return task.result()
        except asyncio.CancelledError:  # the response is not coming: nothing may ride in it
            self._let_go(task, window)
            raise
        log.info("wecom handler is slow; answering empty, replies follow through the outbox")
        self._let_go(task, window)
        return None

    def _let_go(self, task: asyncio.Task[Outcome], window: PassiveWindow) -> None:
        if not window.close():
            window.abandoned = True  # the dispatcher re-queues the claimed reply
        self._keep(task)

    def _keep(
        self, task: asyncio.Task[Outcome], *, then: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        """Let a dispatch outlive its response (held here so it is not garbage-collected)."""
        follow = asyncio.ensure_future(_follow(task, then))
        self._background.add(follow)
        follow.add_done_callback(self._background.discard)

    def _sealed(self, xml: str, query: CallbackQuery) -> Response:
        return Response(self.envelope.seal(xml, query), media_type="application/xml")

    async def drain(self) -> None:
        """Wait for dispatches that outlived their responses (tests; graceful shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)


async def _follow(task: asyncio.Task[Outcome], then: Callable[[], Awaitable[None]] | None) -> None:
    try:
        await task
        if then is not None:
            await then()
    except Exception as exc:  # nobody awaits this: say it here, without message content
        log.error("wecom background work failed: %s", type(exc).__name__)


async def _finished(task: asyncio.Task[Outcome], seconds: float) -> bool:
    """Whether the task is done within `seconds`; it goes on running either way."""
    await asyncio.wait({task}, timeout=max(seconds, 0))
    return task.done()


def _fresh(timestamp: str, *, now: datetime, skew: int) -> bool:
    try:
        return abs(now.timestamp() - int(timestamp)) <= skew
    except ValueError:
        return False


def empty() -> Response:
    """WeCom's "received, nothing to say": 200 with an empty body."""
    return Response(b"", status_code=200)


async def read_body(request: Request) -> bytes:
    """The body, refusing more than MAX_BODY bytes whatever Content-Length claims."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise TooLarge("body too large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise TooLarge("body too large")
        chunks.append(chunk)
    return b"".join(chunks)
