"""A notice's text and its envelope: variables filled in per recipient, the 收到 button, the
topic title; and how a broadcast's audience definition is stored."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

from handlers.envelopes import Button, Outbound
from messages.render import render
from storage.models import Broadcast, Person
from storage.outreach.audience import Filters

VARIABLES = {"姓名": "name", "学院": "college", "班级": "class_name", "专业": "major"}
"""{{姓名}} in a notice → the recipient's field."""
_VARIABLE = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
ACK_BUTTON = "outreach:ack:"


def unknown_variables(content: str) -> list[str]:
    return [name for name in _VARIABLE.findall(content) if name not in VARIABLES]


def personalised(content: str) -> bool:
    return bool(_VARIABLE.search(content))


def without_variables(content: str) -> str:
    """The content with every `{{…}}` removed, for text shared by all recipients."""
    return _VARIABLE.sub("", content)


def fill(content: str, person: Person) -> str:
    """The content for one recipient. Plain substitution, never a template engine: the text
    is the sender's, and a recipient's field is inserted as typed."""

    def value(match: re.Match[str]) -> str:
        field = VARIABLES.get(match.group(1))
        return str(getattr(person, field, "") or "") if field else match.group(0)

    return _VARIABLE.sub(value, content)


def message(broadcast: Broadcast, body: str, *, reminder: bool = False) -> Outbound:
    """What a recipient gets: the topic as the title, the text, and a 收到 button when a
    receipt is asked for. Nothing about the audience or why they were chosen."""
    title = render("outreach_notice_title", topic=broadcast.topic, reminder=reminder)
    if broadcast.needs_receipt:
        button = Button(f"{ACK_BUTTON}{broadcast.id}", render("outreach_ack_button"))
        return Outbound(kind="card", title=title, text=body, buttons=(button,))
    text = render("outreach_notice_text", title=title, body=body)
    return Outbound(kind="text", text=text, confidential=broadcast.confidential)


def dump_filters(filters: Filters) -> str:
    return json.dumps(asdict(filters), ensure_ascii=False, sort_keys=True)


def load_filters(data: str | None) -> Filters:
    raw: dict[str, Any] = json.loads(data or "{}")
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    return Filters(**fields)
