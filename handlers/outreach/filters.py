"""The one-line audience syntax: `学院=机械工程学院 年级=2023 类别=低保家庭,脱贫家庭`, or a pasted
list of 学号. Names and values are checked here; values that depend on the roster (学院, 专业,
班级) are checked against it by storage.outreach.audience.unknown_values."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Literal

from storage.outreach.audience import AudienceRole, Filters
from storage.people.categories import load_categories

NAMES = {
    "学院": "colleges",
    "专业": "majors",
    "班级": "classes",
    "年级": "grades",
    "毕业班": "graduating_years",
    "类别": "categories",
    "重点关注": "key_attention",
    "角色": "role",
    "学号": "student_numbers",
}
"""Filter name as typed → Filters field."""

ROLES: dict[str, AudienceRole] = {"学生": "student", "导师": "mentor", "全部": "all"}
YES_NO = {"是": True, "否": False}
_SEPARATORS = re.compile(r"[,，、;；]")
_STUDENT_NUMBER = re.compile(r"[A-Za-z0-9]{4,32}")
"""A bare word taken for a pasted 学号; after 学号= any roster code will do."""
_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_YEAR = re.compile(r"\d{4}")


@dataclass(frozen=True)
class FilterError:
    """Why a filter line was refused, for the template `outreach_filter_error.j2`."""

    problem: Literal["unknown_name", "bad_value", "repeated"]
    name: str
    value: str = ""
    valid: tuple[str, ...] = ()


@cache
def category_names() -> tuple[str, ...]:
    return tuple(category.name for category in load_categories())


def parse_filters(text: str) -> Filters | FilterError:
    """Filters from `name=value[,value…]` words and bare 学号; an empty text means everyone
    in the sender's scope (students)."""
    filters = Filters()
    seen: set[str] = set()
    for word in text.replace("＝", "=").split():
        name, sep, raw = word.partition("=")
        if not sep:
            if not _STUDENT_NUMBER.fullmatch(word):
                return FilterError("unknown_name", word, valid=tuple(NAMES))
            name, raw = "学号", word
        elif name not in NAMES:
            return FilterError("unknown_name", name, valid=tuple(NAMES))
        elif name in seen:
            return FilterError("repeated", name)
        if sep:
            seen.add(name)
        parsed = _field(name, [v for v in _SEPARATORS.split(raw) if v.strip()])
        if isinstance(parsed, FilterError):
            return parsed
        if name == "学号" and isinstance(parsed, tuple):
            parsed = filters.student_numbers + parsed
        changes: dict[str, Any] = {NAMES[name]: parsed}
        filters = replace(filters, **changes)
    return filters


def _field(name: str, values: list[str]) -> object:
    values = [value.strip() for value in values]
    if not values:
        return FilterError("bad_value", name, valid=_valid(name))
    if name in ("年级", "毕业班"):
        bad = next((v for v in values if not _YEAR.fullmatch(v)), None)
        return FilterError("bad_value", name, bad) if bad else tuple(int(v) for v in values)
    if name == "类别":
        bad = next((v for v in values if v not in category_names()), None)
        return FilterError("bad_value", name, bad, category_names()) if bad else tuple(values)
    if name in ("重点关注", "角色"):
        table: dict[str, object] = dict(YES_NO) if name == "重点关注" else dict(ROLES)
        if len(values) != 1 or values[0] not in table:
            return FilterError("bad_value", name, ",".join(values), tuple(table))
        return table[values[0]]
    if name == "学号":
        bad = next((v for v in values if not _CODE.fullmatch(v)), None)
        return FilterError("bad_value", name, bad) if bad else tuple(values)
    return tuple(values)


def _valid(name: str) -> tuple[str, ...]:
    if name == "类别":
        return category_names()
    if name == "重点关注":
        return tuple(YES_NO)
    if name == "角色":
        return tuple(ROLES)
    return ()
