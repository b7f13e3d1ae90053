"""The roster's columns and how each cell is read; every reason is worded for the admin."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum

from storage.models import PersonKind, Role, TeamRole
from storage.roster.sheet import CellValue
from storage.roster.source import STAFF_KEY, STUDENT_KEY
from storage.roster.wording import CELL, Wording

MISSING = Wording(CELL, "missing")
MERGED_BLANK = Wording(CELL, "merged_blank")
NOT_CLEARABLE = Wording(CELL, "not_clearable")
TOO_LONG = Wording(CELL, "too_long")
HAS_SPACE = Wording(CELL, "has_space")
BAD_GENDER = Wording(CELL, "bad_gender")
BAD_DATE = Wording(CELL, "bad_date")
FUTURE_DATE = Wording(CELL, "future_date")
BAD_YEAR = Wording(CELL, "bad_year")
BAD_FLAG = Wording(CELL, "bad_flag")
BAD_PHONE = Wording(CELL, "bad_phone")
BAD_MOBILE = Wording(CELL, "bad_mobile")
BAD_LANDLINE = Wording(CELL, "bad_landline")
FORMULA_ERROR = Wording(CELL, "formula_error")
EXCEL_DATE = Wording(CELL, "excel_date")
SCIENTIFIC = Wording(CELL, "scientific")
ROUNDED = Wording(CELL, "rounded")
CLEAR = "（清空）"
"""Written in a cell, clears the stored value; a blank cell keeps it."""
CLEAR_SPELLINGS = frozenset({CLEAR, "(清空)", "【清空】", "[清空]"})
FORMULA_ERRORS = frozenset(
    {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#SPILL!", "#CALC!"}
    | {"#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"}
)

ROLE_NAMES: dict[str, Role] = {
    "学业导师": Role.ACADEMIC_MENTOR,
    "辅导员": Role.COUNSELLOR,
    "班主任": Role.CLASS_TEACHER,
    "学院管理员": Role.COLLEGE_ADMIN,
    "学校管理员": Role.SCHOOL_ADMIN,
    "心理中心": Role.PSYCH_CENTER,
    "就业指导": Role.CAREER_GUIDANCE,
}
STUDENT_ROLE_NAMES: dict[str, Role] = {
    "心理委员": Role.PSYCH_COMMITTEE,
    "寝室长": Role.DORM_HEAD,
}
"""The student-sheet 学生干部 column: the class and dorm level of the four-level network."""
STUDENT_ROLES = "student_roles"
"""The key of the student sheet's roles column (the staff sheet's 角色 has none)."""
SEPARATORS = "、,，"
_SPLIT = re.compile(f"[{SEPARATORS}]")
_INTEGRAL = re.compile(r"(\d+)\.0+")
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")
_DATE_TEXT = re.compile(
    r"\d{4}[-/]\d{1,2}[-/]\d{1,2}(?: 0?0:00(?::00)?)?|\d{1,2}月\d{1,2}日|"
    r"\d{1,2}-(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)(?:-\d{2,4})?|"
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{1,4}",
    re.IGNORECASE,
)
_PHONE = re.compile(r"\d{3,20}")
_SPACE = re.compile(r"\s")
_PHONE_NOISE = str.maketrans("", "", " \t-‐‑–—()（）")
_YEARS = range(1950, 2101)
_EXACT_FLOAT = 10**15
"""Excel keeps 15 significant digits: a longer number stored as a number has lost its end."""


def _text_table() -> dict[int, int | None]:
    """Full-width digits and Latin letters → ASCII; invisible characters dropped; other spaces
    and control characters → a plain space (collapsed by the callers' strip)."""
    table: dict[int, int | None] = {}
    for start, end in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)):
        for point in range(start, end + 1):
            table[point] = point - 0xFEE0
    for point in (*range(0x200B, 0x2010), *range(0x2060, 0x2065), 0xFEFF, 0x00AD, 0x180E):
        table[point] = None  # zero-width and format characters: a look-alike code otherwise
    for point in (*range(0x00, 0x20), 0x7F, 0x00A0, 0x3000, 0x2028, 0x2029):
        table[point] = 0x20
    return table


_TEXT_TABLE = _text_table()
_SAFE = re.compile(r"[ -~]*")  # printable ASCII: nothing to normalise


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


class Mask(Enum):
    """How a column's values are shown when an import lists what it changes."""

    NONE = "none"
    PHONE = "phone"  # 138****0001
    NAME = "name"  # 张*
    HIDDEN = "hidden"  # sensitive: only that it changed


@dataclass(frozen=True)
class Column:
    name: str
    slot: Slot
    parse: Callable[[CellValue], object]
    key: str = ""
    required: bool = False
    empty: object = None
    """The value a new person gets when the cell is blank, and what （清空） writes."""
    mask: Mask = Mask.NONE
    check: Callable[[object, date], str | None] | None = None
    """A rule on the parsed value that depends on the day of the import."""


def clean(raw: str) -> str:
    """A typed or exported text cell as its plain value: full-width digits and letters made
    half-width, invisible characters removed, Excel's `="…"` and leading `'` unwrapped."""
    if not _SAFE.fullmatch(raw):
        raw = raw.translate(_TEXT_TABLE)
    raw = raw.strip()
    if raw[:2] == '="' and raw[-1:] == '"' and len(raw) >= 3:
        raw = raw[2:-1].strip()
    elif raw[:1] in ("'", "‘", "’"):
        raw = raw[1:].strip()
    if raw[:1] == "#" and raw.upper() in FORMULA_ERRORS:
        raise Invalid(FORMULA_ERROR.format(value=raw.upper()))
    return raw


def is_clear(value: CellValue) -> bool:
    """Whether a cell holds the explicit marker that clears a stored value."""
    return type(value) is str and value.strip() in CLEAR_SPELLINGS


def cell_text(value: CellValue) -> str | None:
    """A cell as text: numbers Excel stored as floats lose their `.0`; a date in a column that
    holds text is Excel's doing (3-12 became 2026-03-12) and is refused."""
    if type(value) is str:  # the common case first: this runs for every cell
        return clean(value) or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date | time | timedelta):
        raise Invalid(EXCEL_DATE.format(value=_date_text(value)))
    return str(value).strip() or None


def _date_text(value: date | time | timedelta) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    return value.isoformat() if isinstance(value, date | time) else str(value)


def text(limit: int, *, dates: bool = False) -> Callable[[CellValue], str | None]:
    """A text column; `dates`: the column holds codes like 3-12 that Excel turns into dates, so
    a date written as text (a CSV saved by Excel) is refused too."""

    def parse(value: CellValue) -> str | None:
        result = cell_text(value)
        if result is None:
            return None
        if dates and _DATE_TEXT.fullmatch(result):
            raise Invalid(EXCEL_DATE.format(value=result))
        match = _INTEGRAL.fullmatch(result)  # "2501.0" from pandas is 2501
        result = match.group(1) if match else result
        if len(result) > limit:
            raise Invalid(TOO_LONG.format(limit=limit))
        return result

    return parse


def _number_text(value: CellValue, limit: int) -> str | None:
    """A code, account or phone: Excel's scientific notation and rounded numbers are refused."""
    if (
        isinstance(value, float | int)
        and not isinstance(value, bool)
        and abs(value) >= _EXACT_FLOAT
    ):
        raise Invalid(ROUNDED.format(value=int(value)))
    result = cell_text(value)
    if result is None:
        return None
    if _SCIENTIFIC.fullmatch(result):
        raise Invalid(SCIENTIFIC.format(value=result))
    if len(result) > limit:
        raise Invalid(TOO_LONG.format(limit=limit))
    return result


def code(value: CellValue) -> str | None:
    """A 学号/工号: `2023001.0` from a CSV of Excel numbers becomes `2023001`."""
    result = _number_text(value, 32)
    if result is None:
        return None
    if _SPACE.search(result):
        raise Invalid(HAS_SPACE.format(value=result))
    match = _INTEGRAL.fullmatch(result)
    return match.group(1) if match else result


def account(value: CellValue) -> str | None:
    result = _number_text(value, 128)
    if result is not None and _SPACE.search(result):
        raise Invalid(HAS_SPACE.format(value=result))
    return result


def phone(value: CellValue) -> str | None:
    """Digits only; a mobile has 11 (a +86 prefix is dropped), a landline 10-12 with its area
    code or 7-8 without."""
    raw = _number_text(value, 32)
    if raw is None:
        return None
    result = raw.translate(_PHONE_NOISE)
    match = _INTEGRAL.fullmatch(result)
    result = match.group(1) if match else result
    if result.startswith(("+86", "0086")) or (result.startswith("86") and len(result) == 13):
        result = result.removeprefix("+").removeprefix("00").removeprefix("86")
    if not _PHONE.fullmatch(result):
        raise Invalid(BAD_PHONE.format(value=raw))
    if result.startswith("1"):
        if len(result) != 11:
            raise Invalid(BAD_MOBILE.format(value=raw, digits=len(result)))
    elif not (10 <= len(result) <= 12 if result.startswith("0") else 7 <= len(result) <= 8):
        raise Invalid(BAD_LANDLINE.format(value=raw))
    return result


def gender(value: CellValue) -> str:
    result = cell_text(value)
    if result not in ("男", "女"):
        raise Invalid(BAD_GENDER.format(value=result))
    return result


def birth_date(value: CellValue) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
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
    mask: Mask = Mask.NONE,
    check: Callable[[object, date], str | None] | None = None,
) -> Column:
    return Column(
        name, Slot.FIELD, parse, key, required=required, empty=empty, mask=mask, check=check
    )


def not_future(value: object, today: date) -> str | None:
    """A birth date after today is a typo (or Excel's guess of a century)."""
    if isinstance(value, date) and value > today:
        return FUTURE_DATE.format(value=value.isoformat())
    return None


_NAME = _field("姓名", "name", text(64), required=True)
_COLLEGE = "学院"
_PHONE_COLUMN = _field("联系电话", "phone", phone, mask=Mask.PHONE)
_WECOM = Column("企业微信账号", Slot.ACCOUNT, account, "wecom")
_DINGTALK = Column("钉钉账号", Slot.ACCOUNT, account, "dingtalk")

STUDENT_COLUMNS: tuple[Column, ...] = (
    Column(STUDENT_KEY, Slot.CODE, code, required=True),
    _NAME,
    _field("性别", "gender", gender, required=True),
    _field(_COLLEGE, "college", text(64), required=True),
    _field("专业", "major", text(64, dates=True)),
    _field("班级", "class_name", text(64, dates=True), required=True),
    _field("年级", "grade", text(16, dates=True)),
    _field("寝室", "dorm", text(64, dates=True)),
    _PHONE_COLUMN,
    _field("家长姓名", "guardian_name", text(64), mask=Mask.NAME),
    _field("家长电话", "guardian_phone", phone, mask=Mask.PHONE),
    _field("籍贯", "native_place", text(64), mask=Mask.HIDDEN),
    _field("出生日期", "birth_date", birth_date, mask=Mask.HIDDEN, check=not_future),
    Column("类别", Slot.CATEGORIES, names, empty=(), mask=Mask.HIDDEN),
    _field("重点关注", "key_attention", flag, empty=False, mask=Mask.HIDDEN),
    Column("学业导师", Slot.TEAM, code, TeamRole.ACADEMIC_MENTOR),
    Column("学工教师", Slot.TEAM, code, TeamRole.STUDENT_AFFAIRS),
    Column("朋辈导师", Slot.TEAM, code, TeamRole.PEER_MENTOR),
    _WECOM,
    _DINGTALK,
    _field("预计毕业年份", "graduation_year", year),
    Column("学生干部", Slot.ROLES, names, STUDENT_ROLES, empty=()),
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
