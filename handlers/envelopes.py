"""Platform-neutral inbound and outbound messages; channels translate to and from these."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

OutboundKind = Literal["text", "markdown", "card", "file", "image"]


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message or button press from a messenger user."""

    channel: str
    account: str
    message_id: str
    received_at: datetime
    text: str | None = None
    button: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "account": self.account,
            "message_id": self.message_id,
            "received_at": self.received_at.isoformat(),
            "text": self.text,
            "button": self.button,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Inbound:
        return cls(
            channel=payload["channel"],
            account=payload["account"],
            message_id=payload["message_id"],
            received_at=datetime.fromisoformat(payload["received_at"]),
            text=payload.get("text"),
            button=payload.get("button"),
        )


CARD_BUTTONS = 6
"""The most buttons one card carries: WeCom's button_interaction card holds six (DingTalk
holds fewer and lists the rest as numbered replies, bot/channels/dingtalk/messages.py)."""


@dataclass(frozen=True, slots=True)
class Button:
    key: str
    label: str


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to one person: plain text, markdown, a card with buttons, a file or an
    image (for both: the content base64 in `text`, the file name in `title`)."""

    kind: OutboundKind
    text: str
    title: str | None = None
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    confidential: bool = False
    """Sent as confidential where the platform can (WeCom safe=1: no forwarding, watermark)."""

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "kind": self.kind,
            "text": self.text,
            "title": self.title,
            "buttons": [{"key": b.key, "label": b.label} for b in self.buttons],
        }
        if self.confidential:  # only when set: other payloads (and their hashes) stay as they were
            payload["confidential"] = True
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Outbound:
        return cls(
            kind=payload["kind"],
            text=payload["text"],
            title=payload.get("title"),
            buttons=tuple(Button(b["key"], b["label"]) for b in payload.get("buttons", [])),
            confidential=bool(payload.get("confidential", False)),
        )


def text(body: str) -> Outbound:
    return Outbound(kind="text", text=body)


def image(png: bytes, *, name: str, confidential: bool = False) -> Outbound:
    """A PNG picture, sent as the platform's image message (the name is its file name)."""
    encoded = base64.b64encode(png).decode("ascii")
    return Outbound(kind="image", text=encoded, title=name, confidential=confidential)
