"""Outbound → DingTalk robot messages (msgKey + msgParam), and buttons that come back as text.

DingTalk's robot cards have link buttons only. A button's URL is
`dtmd://dingtalkclient/sendMessage?content=<text>`: a click makes the user send <text> to the
bot. The text is derived from the button, statelessly: `<label> [<key>#<code>]`, where <code>
is the first 6 hex digits of HMAC-SHA256(appSecret, "button:" + key). The callback recognises
a text of that shape with a valid code as a press of button <key>; anything else stays text,
so a user cannot forge a key by typing it. Keys must not contain " [".

Up to 5 buttons become sampleActionCard (1) or sampleActionCard2..5; further buttons are
listed as numbered links in the card text (DingTalk markdown understands the same URL).

A card's text is plain text (ours, with what people typed in it) shown as markdown, so
`escape_markdown` turns everything that could become a link, an image, HTML or formatting
into text first; the line breaks and button links are added after it. A `markdown` message
is our templates' own markdown and is sent as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from handlers.envelopes import Button, Outbound
from messages.render import render

TEXT_LIMIT = 2048  # bytes per text message; sampleText's own limit is not documented
MAX_CARD_BUTTONS = 5
TITLE_CHARS = 30
CODE_LENGTH = 6
# DingTalk documents no escape syntax for its markdown, so a backslash may show or be ignored;
# characters that would start markup become their full-width twins, which read the same.
_MARKUP = re.compile(r"[\[\]<>*_~`#]|(?<=\w):(?=//)|&(?=#?\w+;)")
_TWINS = dict(zip("[]<>*_~`#:&", "［］＜＞＊＿～｀＃：＆", strict=True))


@dataclass(frozen=True, slots=True)
class RobotMessage:
    """One message as the robot API takes it: msgKey and its parameters."""

    msg_key: str
    param: dict[str, str]

    @property
    def msg_param(self) -> str:
        return json.dumps(self.param, ensure_ascii=False, separators=(",", ":"))


def escape_markdown(text: str) -> str:
    """Plain text that DingTalk's markdown shows as typed: no links (`[x](…)`, `<…>`, a bare
    `scheme://`, so no `dtmd://` either), images, HTML, entities, emphasis, quotes or `#`."""
    return _MARKUP.sub(lambda found: _TWINS[found.group()], text)


def button_code(key: str, *, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"button:{key}".encode(), hashlib.sha256).hexdigest()
    return digest[:CODE_LENGTH]


def button_text(button: Button, *, secret: str) -> str:
    """What the user sends when pressing `button`."""
    return f"{button.label} [{button.key}#{button_code(button.key, secret=secret)}]"


def pressed_button(text: str, *, secret: str) -> str | None:
    """The key of the button whose text this is, or None for ordinary text."""
    body = text.strip()
    if not body.endswith("]"):
        return None
    _, found, inner = body[:-1].rpartition(" [")
    key, hashed, code = inner.rpartition("#")
    if not found or not hashed or not key:
        return None
    if not hmac.compare_digest(code.encode(), button_code(key, secret=secret).encode()):
        return None
    return key


def button_url(button: Button, *, secret: str) -> str:
    content = quote(button_text(button, secret=secret), safe="")
    return f"dtmd://dingtalkclient/sendMessage?content={content}"


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most `limit` UTF-8 bytes, cut at line ends where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        for chunk in _hard_split(line, limit):
            if len((current + chunk).encode()) > limit:
                pieces.append(current)
                current = ""
            current += chunk
    if current or not pieces:
        pieces.append(current)
    return [piece.rstrip("\n") or piece for piece in pieces]


def _hard_split(line: str, limit: int) -> list[str]:
    """A single line longer than the limit, cut at character boundaries."""
    chunks: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            chunks.append(current)
            current, size = "", 0
        current, size = current + char, size + width
    chunks.append(current)
    return chunks


def robot_messages(message: Outbound, *, secret: str) -> list[RobotMessage]:
    """The robot messages that carry `message`, in order (long text is split). The robot
    sends no files or images here: a short text says where to get them instead."""
    if message.kind in ("file", "image"):
        moved = render("stats_no_attachment", kind=message.kind, name=message.title or "")
        return [RobotMessage("sampleText", {"content": moved})]
    if message.kind == "card" and message.buttons:
        return [_card(message, secret=secret)]
    if message.kind in ("markdown", "card"):
        text = _markdown_lines(message.text) if message.kind == "card" else message.text
        return [RobotMessage("sampleMarkdown", {"title": _title(message), "text": text})]
    return [RobotMessage("sampleText", {"content": part}) for part in split_text(message.text)]


def _title(message: Outbound) -> str:
    first = message.title or next(iter(message.text.strip().splitlines()), "")
    return first[:TITLE_CHARS]


def _markdown_lines(text: str) -> str:
    """Plain text in DingTalk markdown: escaped, and a single newline needs two trailing
    spaces."""
    return "  \n".join(escape_markdown(text).splitlines())


def _card(message: Outbound, *, secret: str) -> RobotMessage:
    shown, listed = message.buttons[:MAX_CARD_BUTTONS], message.buttons[MAX_CARD_BUTTONS:]
    text = _markdown_lines(message.text)
    for number, button in enumerate(listed, start=MAX_CARD_BUTTONS + 1):
        label = escape_markdown(button.label)
        text += f"  \n{number}. [{label}]({button_url(button, secret=secret)})"
    param = {"title": _title(message), "text": text}
    if len(shown) == 1:
        param["singleTitle"] = shown[0].label
        param["singleURL"] = button_url(shown[0], secret=secret)
        return RobotMessage("sampleActionCard", param)
    for number, button in enumerate(shown, start=1):
        param[f"actionTitle{number}"] = button.label
        param[f"actionURL{number}"] = button_url(button, secret=secret)
    return RobotMessage(f"sampleActionCard{len(shown)}", param)


def webhook_body(message: RobotMessage) -> dict[str, Any]:
    """The same message in the sessionWebhook (custom-robot) format."""
    param = message.param
    if message.msg_key == "sampleText":
        return {"msgtype": "text", "text": {"content": param["content"]}}
    if message.msg_key == "sampleMarkdown":
        return {"msgtype": "markdown", "markdown": {"title": param["title"], "text": param["text"]}}
    card: dict[str, Any] = {"title": param["title"], "text": param["text"]}
    if message.msg_key == "sampleActionCard":
        card.update(singleTitle=param["singleTitle"], singleURL=param["singleURL"])
    else:
        count = int(message.msg_key.removeprefix("sampleActionCard"))
        card["btnOrientation"] = "0"
        card["btns"] = [
            {"title": param[f"actionTitle{n}"], "actionURL": param[f"actionURL{n}"]}
            for n in range(1, count + 1)
        ]
    return {"msgtype": "actionCard", "actionCard": card}
