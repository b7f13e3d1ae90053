"""Robot messages from DingTalk (HTTP callback or Stream) → Inbound; the callback signature.

A body is a JSON object of sane depth with finite numbers; anything else is malformed (400),
and so is a `sessionWebhookExpiredTime` that is no time. The text is `clean_text`ed.

The account is `senderStaffId`, the userid the robot API sends to. Without it (external
members, a robot not yet published) the sender can only be answered inside the 1:1
conversation: the account becomes `$sender:<senderId>`, which never matches a roster
account, so the person gets the polite unknown-user reply through the session webhook.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.channels.base import MalformedError, SignatureError, clean_text
from bot.channels.dingtalk.messages import pressed_button
from handlers.envelopes import Inbound
from storage.models import Channel

log = logging.getLogger(__name__)

SENDER_PREFIX = "$sender:"
ONE_TO_ONE = "1"
MAX_ACCOUNT = 128
LATEST = datetime(9999, 1, 1, tzinfo=UTC).timestamp() * 1000  # ms: later is no expiry time


def parse_body(raw: bytes | str) -> dict[str, Any]:
    """A callback body or Stream frame as a JSON object; MalformedError for anything else
    (not JSON, nested too deeply for the parser, NaN or Infinity)."""
    try:
        body = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedError("body is not JSON") from None
    if not isinstance(body, dict):
        raise MalformedError("body is not a JSON object")
    return body


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _finite(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise ValueError("a number out of range")
    return number


def expected_sign(timestamp: str, secret: str) -> str:
    """base64(HMAC-SHA256(key=appSecret, msg=timestamp + "\\n" + appSecret))."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_signature(
    *, timestamp: str | None, sign: str | None, secret: str, now: datetime, max_skew: int
) -> None:
    """Raise SignatureError unless `sign` matches and `timestamp` (ms) is within the skew
    (0 turns the time check off)."""
    if not timestamp or not sign or not timestamp.isascii() or not timestamp.isdigit():
        raise SignatureError("missing or malformed timestamp/sign")
    if not hmac.compare_digest(sign.encode(), expected_sign(timestamp, secret).encode()):
        raise SignatureError("sign does not match")
    skew_ms = abs(now.timestamp() * 1000 - int(timestamp))
    if max_skew and skew_ms > max_skew * 1000:
        raise SignatureError("timestamp outside the allowed clock skew")


@dataclass(frozen=True, slots=True)
class RobotInbound:
    inbound: Inbound
    session_webhook: str | None = None
    session_expires: datetime | None = None


def parse_message(
    body: Mapping[str, Any], *, now: datetime, button_secret: str
) -> RobotInbound | None:
    """The Inbound for a robot message body, or None when there is nothing to answer."""
    if body.get("errorCode") not in (None, "", 0, "0"):
        log.warning("dingtalk delivered an error instead of a message: %s", body.get("errorCode"))
        return None
    msg_id = _cleaned(body.get("msgId"))
    account = _account(body)
    if not msg_id or account is None:
        log.warning("dingtalk message without msgId or sender; ignored")
        return None
    typed = message_text(body)
    text = clean_text(typed).strip() if typed is not None else None
    button = pressed_button(text, secret=button_secret) if text else None
    inbound = Inbound(
        channel=Channel.DINGTALK,
        account=account,
        message_id=msg_id,
        received_at=now,
        text=None if button else text,
        button=button,
    )
    return RobotInbound(inbound, *_session(body))


def _cleaned(value: Any) -> str | None:
    """An id as stored: text without what cannot be (PostgreSQL refuses a NUL byte)."""
    return clean_text(value).strip() if isinstance(value, str) else None


def _account(body: Mapping[str, Any]) -> str | None:
    staff = _cleaned(body.get("senderStaffId"))
    if staff:
        return staff[:MAX_ACCOUNT]
    sender = _cleaned(body.get("senderId"))
    one_to_one = str(body.get("conversationType")) == ONE_TO_ONE
    if isinstance(sender, str) and sender and one_to_one:
        account = SENDER_PREFIX + sender
        return account if len(account) <= MAX_ACCOUNT else None
    return None


def message_text(body: Mapping[str, Any]) -> str | None:
    """The words of a text, rich-text or voice message; None for pictures and files."""
    kind = body.get("msgtype")
    content = body.get("content") if isinstance(body.get("content"), dict) else {}
    assert isinstance(content, dict)
    if kind == "text" and isinstance(body.get("text"), dict):
        words = body["text"].get("content")
        return words.strip() if isinstance(words, str) else None
    if kind == "richText" and isinstance(content.get("richText"), list):
        parts = [p.get("text") for p in content["richText"] if isinstance(p, dict)]
        joined = "".join(p for p in parts if isinstance(p, str)).strip()
        return joined or None
    if kind == "audio" and isinstance(content.get("recognition"), str):
        return content["recognition"].strip() or None
    return None


def _session(body: Mapping[str, Any]) -> tuple[str | None, datetime | None]:
    """The reply webhook of a 1:1 conversation. A group's webhook posts to the whole group,
    so it is never used: replies there would be read by everyone in it."""
    url, expires = body.get("sessionWebhook"), body.get("sessionWebhookExpiredTime")
    if str(body.get("conversationType")) != ONE_TO_ONE or not isinstance(url, str):
        return None, None
    if not isinstance(expires, int | float) or isinstance(expires, bool):
        return None, None
    if not math.isfinite(expires) or not 0 <= expires < LATEST:
        raise MalformedError("sessionWebhookExpiredTime is not a time")
    return url, datetime.fromtimestamp(expires / 1000, UTC)
