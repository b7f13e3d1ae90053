"""The one-line 群发: filters, then options (a topic word, 需回执 / 无需回执, 紧急,
定时 YYYY-MM-DD HH:MM), then 内容=… to the end of the message (a 需回执 / 无需回执 written after
the content, as its own last word, is taken as the option too)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from storage.outreach.subscriptions import TOPICS

CONTENT = re.compile(r"内容\s*[=＝:：]")
_TRAILING_RECEIPT = re.compile(r"\s(需回执|无需回执)\s*$")
RECEIPT_DEFAULT = frozenset({"通知", "资助"})
"""Topics whose notices ask for a 收到 unless told otherwise."""
_TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class Request:
    filters: str
    content: str
    topic: str = "通知"
    needs_receipt: bool = True
    urgent: bool = False
    send_at: datetime | None = None


@dataclass(frozen=True)
class LineError:
    problem: Literal["no_content", "bad_time"]
    value: str = ""


def parse_line(text: str, *, tz: ZoneInfo) -> Request | LineError:
    found = CONTENT.search(text)
    if found is None:
        return LineError("no_content")
    head, content = text[: found.start()], text[found.end() :].strip()
    topic, receipt, urgent, send_at = "通知", None, False, None
    trailing = _TRAILING_RECEIPT.search(content)
    if trailing is not None:  # 内容=… 需回执: the option, not words for the students
        receipt, content = trailing.group(1) == "需回执", content[: trailing.start()].rstrip()
    if not content:
        return LineError("no_content")
    words = head.split()
    rest: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word in TOPICS:
            topic = word
        elif word in ("需回执", "无需回执"):
            receipt = word == "需回执"
        elif word == "紧急":
            urgent = True
        elif word.startswith("定时"):
            raw = word.removeprefix("定时").lstrip("=＝:：")
            taken = 0 if raw else 2
            raw = raw or " ".join(words[index + 1 : index + 3])
            parsed = parse_time(raw, tz=tz)
            if parsed is None:
                return LineError("bad_time", raw)
            send_at, index = parsed, index + taken
        else:
            rest.append(word)
        index += 1
    needs_receipt = receipt if receipt is not None else topic in RECEIPT_DEFAULT
    return Request(" ".join(rest), content, topic, needs_receipt, urgent, send_at)


def parse_time(raw: str, *, tz: ZoneInfo) -> datetime | None:
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(raw.strip(), fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    return None
