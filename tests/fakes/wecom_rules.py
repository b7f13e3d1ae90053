"""The rules FakeWeComServer checks requests against, and its timeout-honouring transport."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Container
from typing import Any

import httpx
from starlette.responses import JSONResponse

TASK_ID = re.compile(r"^[0-9A-Za-z_\-@]{1,128}$")


def error(code: int, message: str) -> JSONResponse:
    return JSONResponse({"errcode": code, "errmsg": message})


def validate_send(
    payload: dict[str, Any], agent_id: int, media: Container[str]
) -> JSONResponse | None:
    """message/send's checks of the request itself; None when it is acceptable."""
    if payload.get("agentid") != agent_id:
        return error(40056, "invalid agentid")
    touser = str(payload.get("touser", ""))
    if not touser or len(touser.split("|")) > 1000:
        return error(40031, "invalid touser: 1 to 1000 userids")
    kind = payload.get("msgtype")
    if kind not in ("text", "markdown", "template_card", "file", "image"):
        return error(40008, "invalid message type")
    if not isinstance(payload.get(kind), dict):
        return error(40058, f"missing {kind}")
    if kind in ("text", "markdown") and not payload[kind].get("content"):
        return error(44004, "empty content")
    if kind in ("file", "image") and payload[kind].get("media_id") not in media:
        return error(40007, "invalid media_id")
    return None


def content_of(payload: dict[str, Any]) -> Any:
    kind = payload["msgtype"]
    if kind in ("text", "markdown"):
        return payload[kind]["content"]
    if kind in ("file", "image"):
        return payload[kind]["media_id"]
    return payload[kind]


def validate_card(payload: dict[str, Any], task_ids: set[str]) -> JSONResponse | None:
    if payload["msgtype"] != "template_card":
        return None
    card = payload["template_card"]
    task = str(card.get("task_id", ""))
    if card.get("card_type") == "button_interaction":
        buttons = card.get("button_list") or []
        if not 1 <= len(buttons) <= 6 or not all(b.get("key") and b.get("text") for b in buttons):
            return error(40058, "button_list needs 1 to 6 buttons with key and text")
        if not (card.get("main_title", {}).get("title") or card.get("sub_title_text")):
            return error(40058, "main_title.title or sub_title_text required")
    if not TASK_ID.match(task) or task in task_ids:
        return error(40058, "task_id missing, malformed or already used")
    task_ids.add(task)
    return None


def multipart_field(content_type: str, body: bytes, name: str) -> tuple[str, bytes] | None:
    """(filename, content) of one form field; file names arrive as raw UTF-8, as httpx and
    browsers send them."""
    boundary = re.search(r'boundary="?([^";]+)"?', content_type)
    if boundary is None:
        return None
    for chunk in body.split(b"--" + boundary.group(1).encode("ascii")):
        head, separator, content = chunk.partition(b"\r\n\r\n")
        disposition = head.decode("utf-8", errors="replace")
        if separator and f'name="{name}"' in disposition:
            filename = re.search(r'filename="([^"]*)"', disposition)
            return (filename.group(1) if filename else "", content.removesuffix(b"\r\n"))
    return None


class Deadline(httpx.AsyncBaseTransport):
    """ASGITransport ignores timeouts; a real network does not. Honour the read timeout."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        seconds = (request.extensions.get("timeout") or {}).get("read")
        try:
            return await asyncio.wait_for(self._inner.handle_async_request(request), seconds)
        except TimeoutError as exc:
            raise httpx.ReadTimeout(
                "the fake WeCom server did not answer", request=request
            ) from exc
