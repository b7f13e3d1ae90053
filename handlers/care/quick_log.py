"""Reads a one-line visit log (what follows 记录) into fields; pure, nothing is stored here.

Grammar: tokens separated by spaces (ASCII or full-width), in any order:

    记录 <学生> [<方式>] [<时间>] [<地点>] <内容> [<效果>] [<风险>]

- 学生: full name (张三), 学号, or name with class: 张三(计科2301) or 张三 计科2301. Same-name
  students stay ambiguous (all candidates) until a class or 学号 narrows them. When nobody
  matches, a leading name-like token (2-4 汉字, a ·-joined name, or a 学号) is kept as the
  unmatched student token.
- 方式: a kind of visit_kinds.toml by its name, or by its shorthand (KIND_SHORTHAND):
  谈心/谈话 → 谈心谈话; 走访/查寝/寝室走访 → 走访寝室; 学业/辅导 → 学业辅导;
  心理 → 心理疏导; 资助 → 经济资助; 就业 → 就业指导; 电话/线上/微信 → 电话/线上联系;
  家长 → 家长联系; 陪伴 → 学习陪伴; 其他. Only the caller's allowed kinds are taken; a known
  kind that is not allowed is reported as `disallowed_kind`. 电话 and 线上 are a kind only
  when that kind is allowed and no other kind is given; otherwise they are the place.
- 时间: anything `handlers.conversation.when` reads (昨天, 上周三下午, 12月3日 15:00 …),
  preferably as its own token; inside the text only when it names a day or a part of day
  with an hour.
- 地点 (its own token, 在 allowed in front): 宿舍/寝室 → 寝室, 办公室, 图书馆, 教室, 食堂,
  线上, 电话, 咨询室/心理咨询室 → 心理咨询室, 家中/家里 → 家中, 校园, 操场, …
- 效果 (the scale of visit_kinds.toml, or EFFECT_SHORTHAND): a token that is exactly
  明显好转/好转, 有所改善/改善, 保持稳定/稳定,
  无明显变化/无变化, 有所恶化/恶化, or starts with 效果 (效果稳定, 效果：好转, 效果 好转).
  Words inside the text (情绪稳定) are not the effect.
- 风险: 无风险/无安全风险/没有风险/无安全隐患 → no risk; 有风险/有安全风险/有安全隐患/存在风险
  → risk, found anywhere (a risk phrase beats a no-risk phrase); risk-only tokens are removed.
- 内容: whatever is left, trimmed; the caller checks its length.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from handlers.conversation.when import WhenError, find_when, to_halfwidth
from storage.care.kinds import effects, visit_kinds

# Short words a line may use for a kind or an effect. The kinds and the effect scale
# themselves come from storage/data/visit_kinds.toml (storage/care/kinds.py); a word whose kind
# or effect the file no longer has is not offered.
KIND_SHORTHAND = {
    "谈心谈话": ("谈心", "谈话"),
    "走访寝室": ("走访", "寝室走访", "查寝"),
    "学业辅导": ("学业", "辅导"),
    "心理疏导": ("心理",),
    "经济资助": ("资助",),
    "就业指导": ("就业",),
    "电话/线上联系": ("电话", "线上", "微信", "电话联系"),
    "家长联系": ("家长",),
    "学习陪伴": ("陪伴",),
}
EFFECT_SHORTHAND = {
    "明显好转": ("好转",),
    "有所改善": ("改善",),
    "保持稳定": ("稳定",),
    "无明显变化": ("无变化", "没有变化"),
    "有所恶化": ("恶化",),
}


@cache
def kind_aliases() -> dict[str, str]:
    """Every word naming a visit kind (its name, its shorthand) → the kind's name."""
    return _aliases(tuple(kind.name for kind in visit_kinds()), KIND_SHORTHAND)


@cache
def effect_aliases() -> dict[str, str]:
    """Every word naming an effect of the scale → the effect."""
    return _aliases(effects(), EFFECT_SHORTHAND)


def _aliases(names: tuple[str, ...], shorthand: dict[str, tuple[str, ...]]) -> dict[str, str]:
    words = {_key(word): name for name in names for word in shorthand.get(name, ())}
    return words | {_key(name): name for name in names}


PLACE_ALIASES = {
    **dict.fromkeys(("宿舍", "寝室"), "寝室"),
    **dict.fromkeys(("咨询室", "心理咨询室"), "心理咨询室"),
    **dict.fromkeys(("家中", "家里"), "家中"),
    **dict.fromkeys(("心理中心", "心理健康教育中心"), "心理健康教育中心"),
    **dict.fromkeys(("操场", "运动场"), "运动场"),
    **{place: place for place in ("办公室", "图书馆", "教室", "食堂", "线上", "电话")},
    **{place: place for place in ("校园", "实验室", "学工办", "就业指导中心", "校医院")},
    **{place: place for place in ("企业微信",)},
}

# Negative phrases first: 没有风险 contains 有风险.
NO_RISK = ("无安全风险", "没有安全风险", "无风险", "没有风险", "无安全隐患", "没有安全隐患")
AT_RISK = ("有安全风险", "有风险", "有安全隐患", "存在风险", "存在安全隐患")
_RISK_WORDS = frozenset(NO_RISK + AT_RISK)

_EDGE_PUNCTUATION = ",.;:!?。、"  # after to_halfwidth
_SUMMARY_EDGES = ",;，；、"
_HAN = "[\u4e00-\u9fff]"
_NAME_LIKE = re.compile(
    f"(?:{_HAN}{{2,4}}|{_HAN}+(?:·{_HAN}+)+)(?:\\([^()]{{1,20}}\\))?|[0-9a-z]{{4,20}}"
)


@dataclass(frozen=True, slots=True)
class StudentRef:
    """A student the author may log a visit for."""

    id: int
    name: str
    code: str
    class_name: str | None = None


@dataclass(frozen=True, slots=True)
class QuickLog:
    """What one line said; every field is None when the line did not say it."""

    student_token: str | None = None
    candidates: tuple[StudentRef, ...] | None = None
    kind: str | None = None
    disallowed_kind: str | None = None
    occurred_at: datetime | None = None
    when_error: WhenError | None = None
    place: str | None = None
    summary: str | None = None
    effect: str | None = None
    risk: bool | None = None

    @property
    def student(self) -> StudentRef | None:
        """The one student meant, when exactly one matched."""
        return self.candidates[0] if self.candidates and len(self.candidates) == 1 else None

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates or ()) > 1


@dataclass
class _Tokens:
    """The line's tokens, their matching keys, and which ones a field has taken."""

    raw: list[str]
    keys: list[str] = field(init=False)
    used: list[bool] = field(init=False)

    def __post_init__(self) -> None:
        self.keys = [_key(token) for token in self.raw]
        self.used = [False] * len(self.raw)

    def free(self) -> list[int]:
        return [index for index, used in enumerate(self.used) if not used]

    def take(self, index: int) -> str:
        self.used[index] = True
        return self.raw[index]

    def rest(self) -> str:
        return " ".join(self.raw[index] for index in self.free())


def parse_quick_log(
    text: str,
    *,
    students: Sequence[StudentRef],
    kinds: Sequence[str],
    now: datetime,
    tz: ZoneInfo,
) -> QuickLog:
    """Every field the line names; checking them (and asking for missing ones) is the caller's."""
    tokens = _Tokens(text.split())
    student_token, candidates = _take_student(tokens, students)
    kind, disallowed_kind = _take_kind(tokens, kinds)
    place, effect = _take_place(tokens), _take_effect(tokens)
    risk = _take_risk(tokens, to_halfwidth(text))
    if student_token is None:
        student_token = _take_unknown_student(tokens, now, tz)
    when, rest = find_when(tokens.rest(), now, tz)
    return QuickLog(
        student_token=student_token,
        candidates=candidates,
        kind=kind,
        disallowed_kind=disallowed_kind,
        occurred_at=when.at if when else None,
        when_error=when.error if when else None,
        place=place,
        summary=rest.strip().strip(_SUMMARY_EDGES).strip() or None,
        effect=effect,
        risk=risk,
    )


def _key(text: str) -> str:
    return to_halfwidth(text).strip().strip(_EDGE_PUNCTUATION).casefold()


def _take_student(
    tokens: _Tokens, students: Sequence[StudentRef]
) -> tuple[str | None, tuple[StudentRef, ...] | None]:
    """The first token naming a student: 学号 before name(class) before a bare name."""
    for matcher in (_by_code, _by_name_and_class, _by_name):
        for index in tokens.free():
            found = matcher(tokens.keys[index], students)
            if found:
                return tokens.take(index), _narrow(tokens, found)
    return None, None


def _by_code(key: str, students: Sequence[StudentRef]) -> list[StudentRef]:
    return [student for student in students if _key(student.code) == key]


def _by_name_and_class(key: str, students: Sequence[StudentRef]) -> list[StudentRef]:
    match = re.fullmatch(r"(.+?)\((.+)\)", key)
    if match is None:
        return []
    name, class_name = match.groups()
    return [s for s in students if _key(s.name) == name and _key(s.class_name or "") == class_name]


def _by_name(key: str, students: Sequence[StudentRef]) -> list[StudentRef]:
    return [student for student in students if _key(student.name) == key]


def _narrow(tokens: _Tokens, found: list[StudentRef]) -> tuple[StudentRef, ...]:
    """Free tokens repeating a candidate's class, 学号 or name pick among same-name students."""
    for index in tokens.free():
        key = tokens.keys[index]
        narrowed = [s for s in found if key and key in _identity_keys(s)]
        if narrowed:
            tokens.take(index)
            found = narrowed
    return tuple(found)


def _identity_keys(student: StudentRef) -> tuple[str, ...]:
    return _key(student.name), _key(student.code), _key(student.class_name or "")


def _take_kind(tokens: _Tokens, kinds: Sequence[str]) -> tuple[str | None, str | None]:
    """(allowed kind, known kind that is not allowed); 电话/线上 yield to a firmer kind."""
    aliases = kind_aliases() | {_key(kind): kind for kind in kinds}
    named = [(i, aliases[tokens.keys[i]]) for i in tokens.free() if tokens.keys[i] in aliases]
    firm = [(i, kind) for i, kind in named if tokens.keys[i] not in PLACE_ALIASES]
    soft = [(i, kind) for i, kind in named if tokens.keys[i] in PLACE_ALIASES]
    allowed = [(i, kind) for i, kind in firm + soft if kind in kinds]
    if allowed:
        tokens.take(allowed[0][0])
        return allowed[0][1], None
    if firm:
        tokens.take(firm[0][0])
        return None, firm[0][1]
    return None, None


def _take_place(tokens: _Tokens) -> str | None:
    for index in tokens.free():
        key = tokens.keys[index]
        place = PLACE_ALIASES.get(key) or PLACE_ALIASES.get(key.removeprefix("在"))
        if place:
            tokens.take(index)
            return place
    return None


def _take_effect(tokens: _Tokens) -> str | None:
    """A 效果… token wins over a bare effect word; among equals the last one."""
    best: tuple[bool, list[int], str] | None = None
    free = tokens.free()
    for position, index in enumerate(free):
        key = tokens.keys[index]
        prefixed = key.startswith("效果")
        phrase = key.removeprefix("效果").removeprefix("评估").lstrip(":为是")
        taken = [index]
        if prefixed and not phrase and position + 1 < len(free):
            taken.append(free[position + 1])
            phrase = tokens.keys[free[position + 1]]
        effect = effect_aliases().get(phrase)
        if effect and (best is None or prefixed or not best[0]):
            best = (prefixed, taken, effect)
    if best is None:
        return None
    for index in best[1]:
        tokens.take(index)
    return best[2]


def _take_risk(tokens: _Tokens, text: str) -> bool | None:
    """Risk named anywhere in the line; tokens that only say so are removed from the text."""
    for index in tokens.free():
        if tokens.keys[index] in _RISK_WORDS:
            tokens.take(index)
    cleared = text
    for phrase in NO_RISK:
        cleared = cleared.replace(phrase, " ")
    if any(phrase in cleared for phrase in AT_RISK):
        return True
    return False if cleared != text else None


def _take_unknown_student(tokens: _Tokens, now: datetime, tz: ZoneInfo) -> str | None:
    """A leading name-like token nobody matched, when more text follows it."""
    free = tokens.free()
    if not free or free[0] != 0 or len(free) < 2:
        return None
    if not _NAME_LIKE.fullmatch(tokens.keys[0]) or find_when(tokens.raw[0], now, tz)[0]:
        return None
    return tokens.take(0)
