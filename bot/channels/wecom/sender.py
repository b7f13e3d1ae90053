"""The WeCom active-send side: one message/send call carries one message to ≤ 1000 members.

Every call asks WeCom's duplicate check to suppress an identical request body for 30 minutes,
and a retried batch builds a byte-identical body (recipients in the given order, the card's
task_id derived from the batch key), so a resend after a crash reaches nobody twice.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from bot.channels.base import (
    ConfigurationError,
    Delivery,
    Outbound,
    PlatformError,
    TransientError,
)
from bot.channels.wecom.api import WeComApi
from bot.channels.wecom.traits import WECOM

log = logging.getLogger(__name__)

TEXT_LIMIT = 2048
"""WeCom truncates text and markdown content beyond this many UTF-8 bytes."""
DUPLICATE_CHECK = {"enable_duplicate_check": 1, "duplicate_check_interval": 1800}
NOT_A_MEMBER = "invaliduser: no such member, or outside the app's visible range"
UNLICENSED = "unlicenseduser: the member has no WeCom interface licence"
_MARKUP = re.compile(r"<(?=[A-Za-z/!?])|\$(?=(?:userName|departmentName)=)")
_LOOKALIKE = {"<": "＜", "$": "＄"}


class Unsendable(Exception):
    """The message cannot be turned into a WeCom request at all (e.g. a broken file)."""


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most `limit` UTF-8 bytes, cut between characters (at a line break when
    one is in the second half of the piece), in order."""
    parts: list[str] = []
    rest = text
    while len(rest.encode("utf-8")) > limit:
        cut = _cut(rest, limit)
        parts.append(rest[:cut])
        rest = rest[cut:]
    parts.append(rest)
    return parts


def _cut(text: str, limit: int) -> int:
    # Decoding the first `limit` bytes drops at most one half-cut character at the end.
    prefix = text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
    newline = prefix.rfind("\n")
    return newline + 1 if newline >= len(prefix) // 2 else len(prefix)


def escape_text(text: str) -> str:
    """Text as WeCom should show it, not as markup. A text message renders `<a href>` links
    and translates `$userName=id$`, so a `<` that could open a tag becomes ＜ and such a `$`
    becomes ＄ (WeCom documents no escape). Template cards show their fields as typed, and a
    markdown message is our own template's markdown: neither is touched."""
    if "<" not in text and "$" not in text:  # most texts: no scan by the pattern at all
        return text
    return _MARKUP.sub(lambda found: _LOOKALIKE[found.group()], text)


def task_id(batch_key: str) -> str:
    """A card task_id: unique per batch, stable across its retries, [0-9A-Za-z_-@] ≤ 128."""
    return "carebot-" + hashlib.sha256(batch_key.encode("utf-8")).hexdigest()[:40]


def fits_passive(message: Outbound) -> bool:
    """Only plain text ≤ 2048 bytes may ride in a passive reply."""
    return message.kind == "text" and len(escape_text(message.text).encode("utf-8")) <= TEXT_LIMIT


class WeComSender:
    channel = WECOM.name
    batch_size = WECOM.batch_size
    per_member_per_minute: int | None = WECOM.per_member_per_minute

    def __init__(self, *, api: WeComApi, agent_id: int, media_memory: int = 128) -> None:
        self.api, self._agent_id = api, agent_id
        self._media: OrderedDict[str, str] = OrderedDict()  # batch key → media_id, for retries
        self._media_memory = media_memory

    async def send(
        self, message: Outbound, recipients: Sequence[str], *, batch_key: str
    ) -> list[Delivery]:
        if len(recipients) > self.batch_size:
            raise ValueError(f"at most {self.batch_size} recipients per call")
        if not recipients:
            return []
        try:
            bodies = await self._bodies(message, batch_key)
        except Unsendable as exc:
            return [Delivery(r, "failed", error=str(exc)) for r in recipients]
        return await self._send_parts(bodies, recipients)

    async def update_card(self, *, userids: Sequence[str], response_code: str, label: str) -> None:
        """Replace the buttons of a sent card with one label (each response_code works once)."""
        payload = {
            "userids": list(userids),
            "agentid": self._agent_id,
            "response_code": response_code,
            "button": {"replace_name": label},
        }
        await self.api.post("message/update_template_card", payload)

    async def recall(self, msgid: str) -> None:
        """Take back a message sent within the last 24 hours."""
        await self.api.post("message/recall", {"msgid": msgid})

    async def _send_parts(
        self, bodies: list[dict[str, Any]], recipients: Sequence[str]
    ) -> list[Delivery]:
        refused: dict[str, str] = {}
        first: dict[str, Any] | None = None
        for body in bodies:
            payload = {"touser": "|".join(recipients), "agentid": self._agent_id, **body}
            try:
                answer = await self.api.post("message/send", {**payload, **DUPLICATE_CHECK})
            except (TransientError, ConfigurationError):
                raise
            except PlatformError as exc:  # 81013 (nobody valid) and other permanent refusals
                log.warning("wecom refused a message: errcode %s", exc.code)
                return [Delivery(r, "failed", error=str(exc)) for r in recipients]
            refused = _refused(answer) | refused
            first = first or answer
        assert first is not None
        return [_delivery(r, first, refused) for r in recipients]

    async def _bodies(self, message: Outbound, batch_key: str) -> list[dict[str, Any]]:
        if message.kind in ("text", "markdown"):
            kind = message.kind
            body = escape_text(message.text) if kind == "text" else message.text
            safe = {"safe": 1} if message.confidential and kind == "text" else {}
            return [{"msgtype": kind, kind: {"content": p}, **safe} for p in split_text(body)]
        if message.kind == "card" and message.buttons:
            return [{"msgtype": "template_card", "template_card": _card(message, batch_key)}]
        if message.kind == "card":  # nothing to press: a plain text says the same
            joined = escape_text("\n".join(part for part in (message.title, message.text) if part))
            return [{"msgtype": "text", "text": {"content": p}} for p in split_text(joined)]
        # A file or an image: uploaded as media of its kind, then sent by media_id.
        media_kind = "image" if message.kind == "image" else "file"
        media = {"media_id": await self._media_id(message, batch_key, kind=media_kind)}
        secret = {"safe": 1} if message.confidential else {}
        return [{"msgtype": media_kind, media_kind: media, **secret}]

    async def _media_id(self, message: Outbound, batch_key: str, *, kind: str) -> str:
        """Upload the file once per batch, so a retry sends the same media_id (a byte-identical
        request that WeCom's duplicate check can suppress)."""
        if batch_key in self._media:
            return self._media[batch_key]
        try:
            content = base64.b64decode(message.text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise Unsendable("file content is not base64") from exc
        try:
            media_id = await self.api.upload(name=message.title or kind, content=content, kind=kind)
        except (TransientError, ConfigurationError):
            raise
        except PlatformError as exc:  # refused for good (e.g. not a PNG or JPG): no retry helps
            raise Unsendable(f"wecom refused the {kind}: errcode {exc.code}") from exc
        self._media[batch_key] = media_id
        while len(self._media) > self._media_memory:
            self._media.popitem(last=False)
        return media_id


def _card(message: Outbound, batch_key: str) -> dict[str, Any]:
    card: dict[str, Any] = {"card_type": "button_interaction", "task_id": task_id(batch_key)}
    if message.title:
        card["main_title"] = {"title": message.title}
    if message.text:
        card["sub_title_text"] = message.text
    card["button_list"] = [{"text": b.label, "style": 1, "key": b.key} for b in message.buttons]
    return card


def _refused(answer: dict[str, Any]) -> dict[str, str]:
    """Lowercased userids WeCom did not deliver to, with the reason (WeCom lowercases ids)."""
    refused: dict[str, str] = {}
    for field, reason in (("unlicenseduser", UNLICENSED), ("invaliduser", NOT_A_MEMBER)):
        value = answer.get(field) or ""
        ids = value if isinstance(value, list) else str(value).split("|")
        refused.update({str(user).lower(): reason for user in ids if user})
    return refused


def _delivery(recipient: str, answer: dict[str, Any], refused: dict[str, str]) -> Delivery:
    reason = refused.get(recipient.lower())
    if reason is not None:
        return Delivery(recipient, "failed", error=reason)
    msgid = str(answer["msgid"]) if answer.get("msgid") else None
    code = str(answer["response_code"]) if answer.get("response_code") else None
    return Delivery(recipient, "sent", msgid=msgid, response_code=code)
