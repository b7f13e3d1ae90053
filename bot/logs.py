"""Structured logging: one line per event with the current message id (text or JSON)."""

from __future__ import annotations

import json
import logging
import re
import secrets
from contextvars import ContextVar
from datetime import UTC, datetime

from starlette.types import ASGIApp, Receive, Scope, Send

message_id: ContextVar[str] = ContextVar("message_id", default="-")


class _MessageIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.message_id = message_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message_id": getattr(record, "message_id", "-"),
            "event": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(message_id)s] %(message)s"


def configure(*, fmt: str, level: str) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_MessageIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO; platform URLs carry secrets and tokens.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


class RequestIdMiddleware:
    """Give every HTTP request a message id for its log lines (X-Request-ID if sent)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            sent = dict(scope.get("headers") or []).get(b"x-request-id", b"")
            request_id = _safe_request_id(sent) or secrets.token_hex(8)
            message_id.set(request_id)
        await self.app(scope, receive, send)


_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:@/+=-]{1,64}")


def _safe_request_id(sent: bytes) -> str | None:
    """A client's X-Request-ID only when it is a plain token: no newline may forge a log line,
    no escape sequence may repaint a terminal."""
    return sent.decode("ascii") if _REQUEST_ID.fullmatch(sent) else None
