"""Understanding answers: normalising input, universal words, and parsing one step's answer."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from handlers.conversation import when

if TYPE_CHECKING:
    from handlers.conversation.form_model import Choice, Step

CANCEL = frozenset({"取消", "算了", "不记了", "放弃", "cancel"})
BACK = frozenset({"上一步", "返回", "back"})
SKIP = frozenset({"跳过", "略过", "skip"})
HELP = frozenset({"帮助", "help", "?", "？"})
CONFIRM = frozenset({"确认", "确定", "保存", "提交", "是", "对", "好", "好的", "ok", "y", "yes"})
YES = frozenset({"是", "有", "对", "y", "yes", "需要", "存在", "有风险", "是的"})
NO = frozenset({"否", "无", "没有", "不", "n", "no", "不需要", "无风险", "没有风险", "不是"})
RESUME = frozenset({"继续", "继续填写", "continue"})

_SPACES = re.compile(r"\s+")
_EDIT = re.compile(r"^(?:修改|改)\s*(\d{1,2})$")


def normalise(raw: str | None) -> str:
    """Trim, fold whitespace, and map full-width ASCII (from Chinese IMEs) to half-width."""
    if not raw:
        return ""
    folded = "".join(
        chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else " " if c == "\u3000" else c
        for c in raw
    )
    return _SPACES.sub(" ", folded).strip()


def word_of(raw: str | None) -> str:
    """The normalised, lower-cased form used to match commands and universal words."""
    return normalise(raw).lower()


@dataclass(frozen=True, slots=True)
class Parsed:
    value: Any
    label: str


@dataclass(frozen=True, slots=True)
class Invalid:
    reason: str


def number_of(text: str) -> int | None:
    """A plain count or id: decimal digits only (not ① or ²), and small enough for a database
    integer; anything else is not a number."""
    return int(text) if text.isdecimal() and len(text) <= 9 else None


def edit_number(word: str) -> int | None:
    match = _EDIT.match(word)
    return int(match.group(1)) if match else None


def parse(
    step: Step,
    raw: str,
    button: str | None,
    *,
    choices: Sequence[Choice],
    now: datetime,
    tz: ZoneInfo,
) -> Parsed | Invalid:
    """The value for `step` from a message or button press, or why it is not acceptable."""
    if step.kind == "choice":
        return _choice(raw, button, choices)
    if step.kind == "yesno":
        return _yes_no(raw, button)
    if step.kind == "when":
        return _when(raw, now, tz)
    return _text(raw, step)


def _button_index(button: str | None) -> int | None:
    if button and button.startswith("form:choice:"):
        tail = button.removeprefix("form:choice:")
        return number_of(tail)
    return None


def _choice(raw: str, button: str | None, choices: Sequence[Choice]) -> Parsed | Invalid:
    index = _button_index(button)
    word = word_of(raw)
    number = number_of(word)
    if index is None and number is not None:
        index = number - 1
    if index is not None:
        if 0 <= index < len(choices):
            return Parsed(choices[index].value, choices[index].label)
        return Invalid("choice")
    exact = [c for c in choices if word in {word_of(c.label), c.value.lower(), *c.aliases}]
    if len(exact) == 1:
        return Parsed(exact[0].value, exact[0].label)
    prefixed = [c for c in choices if word and word_of(c.label).startswith(word)]
    if len(prefixed) == 1:
        return Parsed(prefixed[0].value, prefixed[0].label)
    return Invalid("ambiguous" if len(exact) > 1 or len(prefixed) > 1 else "choice")


def _yes_no(raw: str, button: str | None) -> Parsed | Invalid:
    index = _button_index(button)
    word = word_of(raw)
    if index == 0 or word in YES:
        return Parsed(True, "有")
    if index == 1 or word in NO:
        return Parsed(False, "无")
    return Invalid("yesno")


def _when(raw: str, now: datetime, tz: ZoneInfo) -> Parsed | Invalid:
    result = when.parse_when(raw, now, tz)
    if result.at is None:
        return Invalid(f"when_{result.error or 'unparsed'}")
    local = result.at.astimezone(tz)
    return Parsed(result.at.isoformat(), local.strftime("%Y-%m-%d %H:%M"))


def _text(raw: str, step: Step) -> Parsed | Invalid:
    text = raw.strip()
    if len(text) < step.min_len:
        return Invalid("too_short")
    if len(text) > step.max_len:
        return Invalid("too_long")
    return Parsed(text, text)
