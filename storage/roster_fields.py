"""The roster's columns and how each cell is read; every reason is worded for the admin."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from storage.models import PersonKind, Role, TeamRole
from storage.roster_source import STAFF_KEY, STUDENT_KEY
from storage.roster_xlsx import CellValue

MISSING = "必填，不能为空"
TOO_LONG = "超过 {limit} 个字符"
HAS_SPACE = "不能包含空格「{value}」"
BAD_GENDER = "应为「男」或「女」，而不是「{value}」"
BAD_DATE = "无法识别的日期「{value}」，请写成 2005-03-01"
BAD_YEAR = "无效的年份「{value}」，请写四位数年份，如 2027"
BAD_FLAG = "应为「是」或「否」，而不是「{value}」"
BAD_PHONE = "无效的电话号码「{value}」"

ROLE_NAMES: dict[str, Role] = {
    "学业导师": Role.ACADEMIC_MENTOR,
    "辅导员": Role.COUNSELLOR,
    "班主任": Role.CLASS_TEACHER,
    "学院管理员": Role.COLLEGE_ADMIN,
    "学校管理员": Role.SCHOOL_ADMIN,
    "心理中心": Role.PSYCH_CENTER,
    "就业指导": Role.CAREER_GUIDANCE,
}
SEPARATORS = "、,，"
_SPLIT = re.compile(f"[{SEPARATORS}]")
_INTEGRAL = re.compile(r"(\d+)\.0+")
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_PHONE = re.compile(r"\+?\d{3,20}")
_SPACE = re.compile(r"\s")
_PHONE_NOISE = str.maketrans("", "", " \u3000\t-‐‑–—()（）")
_YEARS = range(1950, 2101)


class Invalid(Exception):
    """A cell cannot be read; carries one or more reasons."""

    def __init__(self, *reasons: str) -> None:
        super().__init__(*reasons)
        self.reasons = reasons


class Slot(Enum):
    """Where a column's value goes in a record."""

    CODE = "code"
    FIELD = "field"
    ROLES = "roles"
    CATEGORIES = "categories"
    TEAM = "team"
    ACCOUNT = "account"


@dataclass(frozen=True)
class Column:
    name: str
    slot: Slot
    parse: Callable[[CellValue], object]
    key: str = ""
    required: bool = False
    empty: object = None


def cell_text(value: CellValue) -> str | None:
    """A cell as text: numbers Excel stored as floats lose their `.0`, dates become ISO."""
    if type(value) is str:  # the common case first: this runs for every cell
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip() or None


def text(limit: int) -> Callable[[CellValue], str | None]:
    def parse(value: CellValue) -> str | None:
        result = cell_text(value)
        if result is not None and len(result) > limit:
            raise Invalid(TOO_LONG.format(limit=limit))
        return result

    return parse


def code(value: CellValue) -> str | None:
    """A 学号/工号: `2023001.0` from a CSV of Excel numbers becomes `2023001`."""
    result = _code_text(value)
    if result is None:
        return None
    if _SPACE.search(result):
        raise Invalid(HAS_SPACE.format(value=result))
    match = _INTEGRAL.fullmatch(result)
    return match.group(1) if match else result


def account(value: CellValue) -> str | None:
    result = _account_text(value)
    if result is not None and _SPACE.search(result):
        raise Invalid(HAS_SPACE.format(value=result))
    return result


_code_text = text(32)
_account_text = text(128)


def phone(value: CellValue) -> str | None:
    raw = cell_text(value)
    if raw is None:
        return None
    result = raw.translate(_PHONE_NOISE)
    match = _INTEGRAL.fullmatch(result)
    result = match.group(1) if match else result
    if not _PHONE.fullmatch(result):
        raise Invalid(BAD_PHONE.format(value=raw))
    return result


def gender(value: CellValue) -> str:
    result = cell_text(value)
    if result not in ("男", "女"):
        raise Invalid(BAD_GENDER.format(value=result))
    return result


def birth_date(value: CellValue) -> date:
    if isinstance(value, datetime):
        return value.date()
    raw = cell_text(value) or ""
    match = _DATE.fullmatch(raw) or _COMPACT_DATE.fullmatch(raw)
    try:
        if match is None or int(match.group(1)) not in _YEARS:
            raise ValueError(raw)
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise Invalid(BAD_DATE.format(value=raw)) from None


def year(value: CellValue) -> int:
    raw = cell_text(value) or ""
    match = _INTEGRAL.fullmatch(raw)
    digits = match.group(1) if match else raw
    if not digits.isdigit() or int(digits) not in _YEARS:
        raise Invalid(BAD_YEAR.format(value=raw))
    return int(digits)


def flag(value: CellValue) -> bool:
    result = cell_text(value)
    if result not in ("是", "否"):
        raise Invalid(BAD_FLAG.format(value=result))
    return result == "是"


def names(value: CellValue) -> tuple[str, ...]:
    """Several names in one cell, separated by 、 , or ，; order kept, repeats dropped."""
    parts = (part.strip() for part in _SPLIT.split(cell_text(value) or ""))
    return tuple(dict.fromkeys(part for part in parts if part))


def _field(
    name: str,
    key: str,
    parse: Callable[[CellValue], object],
    *,
    required: bool = False,
    empty: object = None,
) -> Column:
    return Column(name, Slot.FIELD, parse, key, required=required, empty=empty)


_NAME = _field("姓名", "name", text(64), required=True)
_COLLEGE = "学院"
_PHONE_COLUMN = _field("联系电话", "phone", phone)
_WECOM = Column("企业微信账号", Slot.ACCOUNT, account, "wecom")
_DINGTALK = Column("钉钉账号", Slot.ACCOUNT, account, "dingtalk")

STUDENT_COLUMNS: tuple[Column, ...] = (
    Column(STUDENT_KEY, Slot.CODE, code, required=True),
    _NAME,
    _field("性别", "gender", gender, required=True),
    _field(_COLLEGE, "college", text(64), required=True),
    _field("专业", "major", text(64)),
    _field("班级", "class_name", text(64), required=True),
    _field("年级", "grade", text(16)),
    _field("寝室", "dorm", text(64)),
    _PHONE_COLUMN,
    _field("家长姓名", "guardian_name", text(64)),
    _field("家长电话", "guardian_phone", phone),
    _field("籍贯", "native_place", text(64)),
    _field("出生日期", "birth_date", birth_date),
    Column("类别", Slot.CATEGORIES, names, empty=()),
    _field("重点关注", "key_attention", flag, empty=False),
    Column("学业导师", Slot.TEAM, code, TeamRole.ACADEMIC_MENTOR),
    Column("学工教师", Slot.TEAM, code, TeamRole.STUDENT_AFFAIRS),
    Column("朋辈导师", Slot.TEAM, code, TeamRole.PEER_MENTOR),
    _WECOM,
    _DINGTALK,
    _field("预计毕业年份", "graduation_year", year),
)
STAFF_COLUMNS: tuple[Column, ...] = (
    Column(STAFF_KEY, Slot.CODE, code, required=True),
    _NAME,
    Column("角色", Slot.ROLES, names, required=True, empty=()),
    _field(_COLLEGE, "college", text(64)),
    _PHONE_COLUMN,
    _WECOM,
    _DINGTALK,
)
COLUMNS = {PersonKind.STUDENT: STUDENT_COLUMNS, PersonKind.STAFF: STAFF_COLUMNS}
KEY_COLUMN = {PersonKind.STUDENT: STUDENT_KEY, PersonKind.STAFF: STAFF_KEY}
TEAM_COLUMN = {c.key: c.name for c in STUDENT_COLUMNS if c.slot is Slot.TEAM}
ACCOUNT_COLUMN = {c.key: c.name for c in STUDENT_COLUMNS if c.slot is Slot.ACCOUNT}
