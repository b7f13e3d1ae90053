"""DingTalk Stream mode over `websockets`: robot messages without a public callback URL.

Register a connection (gateway/connections/open → endpoint + single-use ticket), open the
websocket, answer SYSTEM pings, hand robot messages to `on_message` one at a time (order
matters for conversations) and acknowledge each; on `disconnect` or a dropped connection,
register again, backing off after failures. Robot messages are never redelivered, so the ack
is diagnostic only. Frames and robot messages are parsed as strictly as HTTP callbacks
(`dingtalk_inbound.parse_body`): a malformed one is acknowledged 400 and the stream goes on.

Why our own client and not the official `dingtalk-stream` SDK, which does almost this
(read in its dingtalk_stream/stream.py on GitHub):
- it runs each frame in its own task (`asyncio.create_task` per message), so two messages
  from one person may be handled out of order: wrong for a conversation;
- it registers the connection and fetches tokens with the synchronous `requests` library
  inside the event loop, and hard-codes `websockets.connect()`'s options (no open or ping
  timeouts; PR #74 is still open); we use the platforms' async HTTP client (bot/channels/http.py),
  whose transport the tests replace with the fake DingTalk server;
- its reconnect loop swallows every exception with a broad `except Exception`; with
  websockets >= 15 users report the robot going offline silently (issue #65);
- frames reach its handler classes with its own loose parsing; here every robot message goes
  through the same strict parser as an HTTP callback.
The protocol is small (one HTTP call, JSON frames, SYSTEM ping/disconnect, an ack per
frame), so about a hundred lines keep it under our own tests.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from bot.channels.base import ChannelError, MalformedError
from bot.channels.dingtalk.api import BOT_TOPIC, DingTalkApi
from bot.channels.dingtalk.inbound import parse_body

log = logging.getLogger(__name__)

OnMessage = Callable[[dict[str, Any]], Awaitable[object]]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Seconds to wait before reconnect attempt n (0 after a connection that worked)."""

    first: float = 1.0
    cap: float = 60.0

    def delay(self, failures: int) -> float:
        return 0.0 if failures == 0 else min(self.cap, self.first * 2 ** (failures - 1))


def ack(message_id: str, *, code: int = 200, message: str = "OK", data: str = "") -> str:
    frame = {
        "code": code,
        "headers": {"messageId": message_id, "contentType": "application/json"},
        "message": message,
        "data": data or json.dumps({"response": None}),
    }
    return json.dumps(frame)


class StreamClient:
    def __init__(
        self,
        *,
        api: DingTalkApi,
        on_message: OnMessage,
        backoff: Backoff | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._api, self._on_message = api, on_message
        self._backoff, self._sleep = backoff or Backoff(), sleep
        self.connections = 0

    async def run(self, *, stop: asyncio.Event | None = None) -> None:
        """Stay connected until `stop` is set (or the task is cancelled)."""
        stop = stop or asyncio.Event()
        failures = 0
        while not stop.is_set():
            await self._sleep(self._backoff.delay(failures))
            try:
                worked = await self._session(stop)
            except (ChannelError, OSError, WebSocketException, TimeoutError) as exc:
                log.warning("dingtalk stream connection failed: %s", type(exc).__name__)
                worked = False
            failures = 0 if worked else failures + 1

    async def _session(self, stop: asyncio.Event) -> bool:
        """One registered connection, until it ends; True if it carried any frame."""
        endpoint, ticket = await self._api.open_connection([BOT_TOPIC])
        async with connect(f"{endpoint}?ticket={quote_plus(ticket)}") as socket:
            self.connections += 1
            log.info("dingtalk stream connected")
            return await self._serve(socket, stop)

    async def _serve(self, socket: ClientConnection, stop: asyncio.Event) -> bool:
        frames = 0
        stopping = asyncio.create_task(stop.wait())
        try:
            while True:
                receiving = asyncio.ensure_future(socket.recv())
                await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not receiving.done():
                    receiving.cancel()
                    return True
                frames += 1
                reply, more = await self.handle(receiving.result())
                if reply is not None:
                    await socket.send(reply)
                if not more:
                    return True
        except WebSocketException:
            return frames > 0
        finally:
            stopping.cancel()

    async def handle(self, raw: str | bytes) -> tuple[str | None, bool]:
        """The ack for one frame (None: no answer) and whether to keep the connection."""
        try:
            frame = parse_body(raw)
            headers = frame.get("headers") or {}
            kind, topic, message_id = (
                frame.get("type"),
                headers.get("topic"),
                headers.get("messageId"),
            )
        except (MalformedError, AttributeError):
            log.warning("dingtalk stream sent a frame that is not a JSON object")
            return None, True
        if kind == "SYSTEM" and topic == "disconnect":
            log.info("dingtalk stream asks us to reconnect")
            return None, False
        if kind == "SYSTEM":
            return ack(str(message_id), data=str(frame.get("data") or "")), True
        if kind == "CALLBACK" and topic == BOT_TOPIC:
            return await self._robot_message(str(message_id), frame.get("data")), True
        return ack(str(message_id), code=404, message="topic not subscribed"), True

    async def _robot_message(self, message_id: str, data: object) -> str:
        try:
            await self._on_message(parse_body(data if isinstance(data, str) else ""))
        except MalformedError:
            return ack(message_id, code=400, message="data is not a well-formed robot message")
        except Exception:  # one bad message must not end the stream
            log.exception("dingtalk stream message failed")
            return ack(message_id, code=500, message="internal error")
        return ack(message_id)
