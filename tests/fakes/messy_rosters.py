"""The messy-roster corpus of issue 10: rosters as offices really make them, written as .xlsx
(openpyxl), .xls (xlwt) and .csv, each case with the outcome an import must give.

Run `python -m tests.fakes.messy_rosters OUTDIR` to write every case's files for manual tries.
The module is longer than our usual 300 lines: it is one table, and splitting it would scatter
the cases' files from their expectations.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import xlwt  # type: ignore[import-untyped, unused-ignore]
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

from storage.models import PersonKind, Role, TeamRole
from storage.people.categories import load_categories
from storage.roster.changes import FieldChange, PersonChange, RoleChange
from storage.roster.examples import staff_rows, student_rows
from storage.roster.fields import ROLE_NAMES, STAFF_COLUMNS, STUDENT_COLUMNS
from storage.roster.importer import KindCounts
from storage.roster.template import write_template
from tests.fakes.roster_files import Row, staff, student, team

Format = Literal["xlsx", "xls", "csv"]
ALL: tuple[Format, ...] = ("xlsx", "xls", "csv")
WORKBOOKS: tuple[Format, ...] = ("xlsx", "xls")
XLSX: tuple[Format, ...] = ("xlsx",)
CSV: tuple[Format, ...] = ("csv",)
STUDENTS, STAFF = "学生", "教职工"
BASIC = ["学号", "姓名", "性别", "学院", "班级"]
WORKBOOK_STEM = "名单"
_XLS_DATE = xlwt.easyxf(num_format_str="yyyy/m/d")
_ORDER = {STUDENTS: [c.name for c in STUDENT_COLUMNS], STAFF: [c.name for c in STAFF_COLUMNS]}


# ---- files --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormulaError:
    """A broken formula's cached value (#N/A…): an error cell in .xlsx, its text elsewhere."""

    text: str


@dataclass(frozen=True)
class Table:
    """One sheet as a clerk left it: values row by row from row 1, and what Excel adds."""

    name: str
    rows: tuple[tuple[object, ...], ...]
    merged: tuple[str, ...] = ()
    """Ranges such as "C2:C5"; the cells they cover other than the first are None."""
    hidden_rows: tuple[int, ...] = ()
    hidden: bool = False


@dataclass(frozen=True)
class Book:
    """A workbook's sheets, or as CSV one file per sheet named after it (学生.csv)."""

    tables: tuple[Table, ...]
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    """"utf-16-le" writes a BOM first, as Excel's 「Unicode 文本」 does."""
    template: tuple[str, ...] = ()
    """Sheets of an .xlsx left exactly as `carebot roster template` wrote them."""

    @property
    def sheets_read(self) -> int:
        """Roster sheets an import reads: messages carry the sheet's label when it is over 1."""
        return sum(t.name in (STUDENTS, STAFF) and not t.hidden for t in self.tables)


def table(
    name: str,
    rows: Sequence[Row],
    header: Sequence[str] | None = None,
    *,
    above: Sequence[Sequence[object]] = (),
    merged: Sequence[str] = (),
    hidden_rows: Sequence[int] = (),
    hidden: bool = False,
) -> Table:
    """A sheet from row dicts; the header defaults to the columns the rows use, in the
    template's order; `above` are title rows over the header."""
    if header is None:
        used = {name for row in rows for name in row}
        header = [
            column for column in _ORDER[name if name in _ORDER else STUDENTS] if column in used
        ]
    body = [tuple(row.get(column) for column in header) for row in rows]
    return Table(
        name,
        (*(tuple(line) for line in above), tuple(header), *body),
        tuple(merged),
        tuple(hidden_rows),
        hidden,
    )


def down(header: Sequence[str], column: str, first: int, last: int) -> str:
    """The range of `column` merged from row `first` to `last` (header in row 1)."""
    letter = get_column_letter(list(header).index(column) + 1)
    return f"{letter}{first}:{letter}{last}"


def write_book(book: Book, fmt: Format, folder: Path) -> list[Path]:
    """The book's files in `folder`: 名单.xlsx / 名单.xls, or one CSV per sheet."""
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        return [_write_csv(t, book, folder / f"{t.name}.csv") for t in book.tables]
    path = folder / f"{WORKBOOK_STEM}.{fmt}"
    (_write_xlsx if fmt == "xlsx" else _write_xls)(book, path)
    return [path]


def _write_xlsx(book: Book, path: Path) -> None:
    if book.template:
        write_template(path)
        workbook = load_workbook(path)
    else:
        workbook = Workbook()
        workbook.remove(workbook.active)
    for position, sheet_table in enumerate(book.tables):
        if sheet_table.name in book.template:
            continue
        if sheet_table.name in workbook.sheetnames:
            position = workbook.sheetnames.index(sheet_table.name)
            workbook.remove(workbook[sheet_table.name])
        sheet = workbook.create_sheet(sheet_table.name, position)
        for values in sheet_table.rows:
            sheet.append([v.text if isinstance(v, FormulaError) else v for v in values])
        for ref in sheet_table.merged:
            sheet.merge_cells(ref)
        for number in sheet_table.hidden_rows:
            sheet.row_dimensions[number].hidden = True
        if sheet_table.hidden:
            sheet.sheet_state = "hidden"
    workbook.save(path)


def _write_xls(book: Book, path: Path) -> None:
    workbook = xlwt.Workbook(encoding="utf-8")
    for sheet_table in book.tables:
        sheet = workbook.add_sheet(sheet_table.name)
        spans = [_bounds(ref) for ref in sheet_table.merged]
        covered = {
            (r, c) for r1, c1, r2, c2 in spans for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)
        }
        for r, values in enumerate(sheet_table.rows):
            for c, value in enumerate(values):
                if value is not None and (r, c) not in covered:
                    _xls_cell(sheet, r, c, value)
        for r1, c1, r2, c2 in spans:
            value = sheet_table.rows[r1][c1] if c1 < len(sheet_table.rows[r1]) else None
            sheet.write_merge(r1, r2, c1, c2, value)
        for number in sheet_table.hidden_rows:
            sheet.row(number - 1).hidden = True
        if sheet_table.hidden:
            sheet.visibility = 1
    workbook.save(str(path))


def _xls_cell(sheet: xlwt.Worksheet, r: int, c: int, value: object) -> None:
    if isinstance(value, FormulaError):
        sheet.write(r, c, value.text)  # calamine reads an .xls error cell as blank: text here
    elif isinstance(value, date):
        sheet.write(r, c, value, _XLS_DATE)
    else:
        sheet.write(r, c, value)


def _bounds(ref: str) -> tuple[int, int, int, int]:
    """ "C2:D5" as 0-based (first row, first column, last row, last column)."""
    c1, r1, c2, r2 = (int(bound or 0) - 1 for bound in range_boundaries(ref))
    return r1, c1, r2, c2


def _write_csv(sheet_table: Table, book: Book, path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=book.delimiter, lineterminator="\r\n")
    for values in sheet_table.rows:
        writer.writerow([_csv_text(value) for value in values])
    text = buffer.getvalue()
    if book.encoding == "utf-16-le":
        path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    else:
        path.write_bytes(text.encode(book.encoding))
    return path


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, FormulaError):
        return value.text
    if isinstance(value, date):
        return f"{value.year}/{value.month}/{value.day}"  # as a Chinese Excel saves a date
    return str(value)


# ---- expected outcomes --------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    """The import succeeds; what the report says and what the database then holds. Mappings
    name only the people checked; for them, categories, team, roles and accounts are exact."""

    counts: Mapping[PersonKind, KindCounts]
    people: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    """code → Person attribute → value."""
    categories: Mapping[str, frozenset[str]] = field(default_factory=dict)
    team: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """student code → seat (TeamRole) → mentor's code."""
    roles: Mapping[str, frozenset[str]] = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    """Codes that must not be stored."""
    notes: tuple[str, ...] = ()
    """Words each found in some note."""
    changes: tuple[PersonChange, ...] | None = None
    role_changes: frozenset[RoleChange] | None = None


@dataclass(frozen=True)
class Line:
    """One refusal line: `[sheet ]第{rows}行 {column}: reason`, the reason holding `keywords`
    and none of `without`; a grouped line ends with （共 {total} 行）."""

    sheet: str
    rows: str
    column: str
    keywords: tuple[str, ...]
    total: int = 1
    without: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refused:
    """RosterError: exactly these lines, in order; `empty` files (by stem) gave no one."""

    lines: tuple[Line, ...] = ()
    empty: tuple[str, ...] = ()


def line(sheet: str, rows: str | int, column: str, *keywords: str, total: int = 1) -> Line:
    return Line(sheet, str(rows), column, keywords, total)


Build = Callable[[Format], Book]


@dataclass(frozen=True)
class Case:
    id: str
    formats: tuple[Format, ...]
    build: Build
    expected: Imported | Refused
    before: Build | None = None
    """A clean import made first (in the same format): the database the case meets."""


def write_case(case: Case, fmt: Format, folder: Path) -> tuple[list[Path], list[Path]]:
    """The files imported first (if any) and the case's own files."""
    before = write_book(case.before(fmt), fmt, folder / "before") if case.before else []
    return before, write_book(case.build(fmt), fmt, folder / "import")


def label(sheet: str, fmt: Format) -> str:
    """A sheet's label in messages: its name, or for CSV its file's name."""
    return f"{sheet}.csv" if fmt == "csv" else sheet


# ---- the cases ----------------------------------------------------------------------------

MENTOR, AFFAIRS = TeamRole.ACADEMIC_MENTOR.value, TeamRole.STUDENT_AFFAIRS.value
CATEGORY_NAMES = tuple(category.name for category in load_categories())
TEAM_CREATED = {PersonKind.STAFF: KindCounts(created=3)}


def _fixed(book: Book) -> Build:
    return lambda fmt: book


def _with_team(*students: Table) -> Book:
    return Book((*students, table(STAFF, team())))


def _birth(day: date, fmt: Format) -> object:
    """A date as the format holds it: a date cell, or Excel's text in a CSV."""
    return datetime(day.year, day.month, day.day) if fmt != "csv" else day


# 1. merged cells

_MERGED_HEADER = [*BASIC, "专业", "学业导师", "学工教师"]


def _merged_down(fmt: Format) -> Book:
    first = student("2025001", 专业="软件工程", 学业导师="T1", 学工教师="T2")
    last = student("2025004", 班级="计科2302", 专业="网络工程", 学业导师="T1", 学工教师="T3")
    rows = [first, student("2025002"), student("2025003"), last]
    merged = [down(_MERGED_HEADER, c, 2, 4) for c in ("专业", "学业导师", "学工教师")]
    return _with_team(table(STUDENTS, rows, _MERGED_HEADER, merged=merged))


def _merged_across(fmt: Format) -> Book:
    header = [*BASIC, "专业", "寝室"]
    rows = [
        student("2025001", 专业="软件工程", 寝室="东区1栋101"),
        student("2025002", 专业="软件工程 东区1栋102"),
    ]
    return Book((table(STUDENTS, rows, header, merged=["F3:G3"]),))


def _merged_blank_class(fmt: Format) -> Book:
    rows = [student(code, 班级=None) for code in ("2025001", "2025002", "2025003")]
    return Book((table(STUDENTS, rows, BASIC, merged=[down(BASIC, "班级", 2, 4)]),))


# 2. blank cells on update

_FULL = [
    student("2025001", 类别="孤儿、残疾", 重点关注="是", 学业导师="T1", 学工教师="T2")
    | {"联系电话": "13900000001"},
    student("2025002", 类别="其他", 重点关注="是", 学业导师="T1", 联系电话="13900000002"),
]
_PARTIAL_HEADER = [*BASIC, "类别", "重点关注", "学业导师", "联系电话"]
_CLEAR = "（清空）"


def _full(fmt: Format) -> Book:
    return _with_team(table(STUDENTS, _FULL))


def _blank_update(fmt: Format) -> Book:
    rows = [student("2025001"), student("2025002")]
    return Book((table(STUDENTS, rows, _PARTIAL_HEADER),))


def _clear_update(fmt: Format) -> Book:
    cleared = dict.fromkeys(("类别", "重点关注", "学业导师", "联系电话"), _CLEAR)
    rows = [student("2025001", **cleared), student("2025002")]
    return Book((table(STUDENTS, rows, _PARTIAL_HEADER),))


def _detailed(fmt: Format, *, after: bool) -> Book:
    columns = ("寝室", "联系电话", "家长姓名", "籍贯", "类别", "重点关注", "学工教师")
    old = ("东区1栋101", "13900000001", "张伟", "湖南长沙", "孤儿", "是", "T2")
    new = ("西区2栋202", "13900000009", "李伟", "湖北武汉", "残疾", "否", "T3")
    values: Row = dict(zip(columns, new if after else old, strict=True))
    values["出生日期"] = _birth(date(2005, 4, 1) if after else date(2005, 3, 1), fmt)
    students = table(STUDENTS, [student("2025001", **values)])
    return Book((students,)) if after else _with_team(students)


def _clear_class(fmt: Format) -> Book:
    return Book((table(STUDENTS, [student("2025001", 班级=_CLEAR)]),))


# 3. Excel's mangling


def _mangled_codes(fmt: Format) -> Book:
    wrapped = '="2025001"' if fmt == "csv" else "'2025001"  # Excel's CSV text wrapper
    codes = [wrapped, "'2025002", "２０２５００３", "2025\u200b004"]
    return Book((table(STUDENTS, [student(c, 姓名=f"学生{n}") for n, c in enumerate(codes, 1)]),))


def _clean_codes(fmt: Format) -> Book:
    codes = ["2025001", "2025002", "2025003", "2025004"]
    return Book((table(STUDENTS, [student(c, 姓名=f"学生{n}") for n, c in enumerate(codes, 1)]),))


def _pandas_floats(fmt: Format) -> Book:
    row = student(
        "2025001", 班级="2501.0", 年级="2025.0", 寝室="3201.0", 联系电话="+86 139 0000 0001"
    )
    return Book((table(STUDENTS, [row]),))


def _students(*rows: Row) -> Build:
    return _fixed(Book((table(STUDENTS, list(rows)),)))


def _staff(*rows: Row) -> Build:
    return _fixed(Book((table(STAFF, list(rows)),)))


def _as_number(row: Row, column: str, value: int) -> Row:
    """The row with a code as Excel stores a typed number."""
    return row | {column: value}


_STAFF_123 = _as_number(staff("123"), "工号", 123)
_LONG_CODE = _as_number(student("2025000000000001"), "学号", 2025000000000001)
_WIDE_ROLES = {
    "T1": frozenset({Role.ACADEMIC_MENTOR.value, Role.PSYCH_CENTER.value}),
    "T2": frozenset({Role.COUNSELLOR.value}),
    "T5": frozenset({Role.SCHOOL_ADMIN.value}),
}


def _zero_twins(fmt: Format) -> Book:
    return Book((table(STAFF, [staff("00123"), _as_number(staff("123"), "工号", 123)]),))


def _formula_errors(fmt: Format) -> Book:
    header = [*BASIC, "专业", "寝室", "联系电话"]
    rows = [
        student("2025001", 寝室=FormulaError("#N/A")),
        student("2025002", 专业=FormulaError("#REF!")),
        student("2025003", 联系电话=FormulaError("#VALUE!")),
    ]
    return Book((table(STUDENTS, rows, header),))


def _dorm_dates(fmt: Format) -> Book:
    day = "2026/3/12" if fmt == "csv" else datetime(2026, 3, 12)  # 3-12 as Excel saw it
    rows = [student("2025001", 寝室=day), student("2025002", 寝室="3月12日")]
    return Book((table(STUDENTS, rows),))


def _future_birth(fmt: Format) -> Book:
    return Book((table(STUDENTS, [student("2025001", 出生日期=_birth(date(2027, 5, 1), fmt))]),))


# 4. sheets and rows nobody looked at

_COUNSELLOR = [
    staff("T1", 角色="学业导师"),
    staff("T2", 角色="辅导员、学院管理员", 学院="计算机学院"),
]


def _hidden_staff(fmt: Format) -> Book:
    stale = [staff("T1", 角色="学业导师"), staff("T2", 角色="班主任", 学院="机械学院")]
    return Book(
        (table(STUDENTS, [student("2025001", 学工教师="T2")]), table(STAFF, stale, hidden=True))
    )


def _hidden_rows(fmt: Format) -> Book:
    rows = [student(f"202500{n}") for n in range(1, 5)]
    return Book((table(STUDENTS, rows, hidden_rows=[3, 4]),))


def _template_staff_left(fmt: Format) -> Book:
    header = _ORDER[STUDENTS]
    real = table(STUDENTS, [student("2025001"), student("2025002")], header)
    examples = table(STAFF, staff_rows(), _ORDER[STAFF])
    return Book((real, examples), template=(STAFF,))


def _template_as_written(fmt: Format) -> Book:
    sheets = (
        table(STUDENTS, student_rows(), _ORDER[STUDENTS]),
        table(STAFF, staff_rows(), _ORDER[STAFF]),
    )
    return Book(sheets, template=(STUDENTS, STAFF))


_ROLES_AFTER = [
    staff("T1", 角色="学业导师、心理中心"),
    staff("T2", 角色="辅导员"),
    staff("T5", 角色="学校管理员"),
]


def _misnamed_sheet(fmt: Format) -> Book:
    return Book((table("学生信息", [student("2025001")]), Table(STAFF, (tuple(_ORDER[STAFF]),))))


# 6. headers


def _renamed(rows: Sequence[Row], names: Mapping[str, str]) -> list[Row]:
    return [{names.get(key, key): value for key, value in row.items()} for row in rows]


def _readme_headers(fmt: Format) -> Book:
    names = {"学号": "学号（必填）", "姓名": "姓 名", "重点关注": "重点关注（是/否）",
             "学业导师": "学业导师（工号）", "学工教师": "学工\n教师"}  # fmt: skip
    plain = [
        student("2025001", 重点关注="是", 学业导师="T1", 学工教师="T2"),
        student("2025002", 重点关注="否", 学业导师="T1", 学工教师="T3"),
    ]
    header = [names.get(c, c) for c in [*BASIC, "重点关注", "学业导师", "学工教师"]]
    return _with_team(table(STUDENTS, _renamed(plain, names), header))


def _marked_headers(fmt: Format) -> Book:
    names = {"学号": "学号*", "姓名": "姓名*", "联系电话": "联系\n电话", "家长电话": "家长\r\n电话"}
    plain = [student("2025001", 联系电话="13900000001", 家长电话="13700000001")]
    header = [names.get(c, c) for c in [*BASIC, "联系电话", "家长电话"]]
    return Book((table(STUDENTS, _renamed(plain, names), header),))


_TITLE = "2026年计算机学院特殊群体学生名单"


def _titled(*rows: Row) -> Build:
    header = [*BASIC, "专业"]
    merged = [f"A1:{get_column_letter(len(header))}1"]

    def build(fmt: Format) -> Book:
        above = [[_TITLE, *[None] * (len(header) - 1)]]
        return Book((table(STUDENTS, list(rows), header, above=above, merged=merged),))

    return build


_TITLED = _titled(student("2025001", 专业="软件工程"), student("2025002"))
_TITLED_BAD = _titled(student("2025001"), student("2025002", 性别="M"))


def _extras(fmt: Format) -> Book:
    header = ["序号", *BASIC, "备注"]
    rows = [student("2025001", 序号=1, 备注="转专业"), student("2025002", 序号=2)]
    return Book((table(STUDENTS, rows, header),))


# 7. unknown names, a dropdown filled down


def _dropdown(fmt: Format) -> Book:
    rows = [student(f"2025{n:03d}", 类别="请选择") for n in range(1, 181)]
    return Book((table(STUDENTS, rows),))


# 8. CSV dialects


def _dialect(delimiter: str, encoding: str) -> Build:
    rows = [
        student("2025001", 姓名="欧阳娜娜", 类别="脱贫家庭", 学业导师="T1", 学工教师="T2"),
        student("2025002", 姓名="李四", 类别="孤儿,残疾", 学工教师="T3"),  # a comma in a cell
    ]
    return _fixed(
        replace(_with_team(table(STUDENTS, rows)), delimiter=delimiter, encoding=encoding)
    )


_DIALECT = Imported(
    counts={PersonKind.STUDENT: KindCounts(created=2), **TEAM_CREATED},
    people={"2025001": {"name": "欧阳娜娜"}, "2025002": {"name": "李四"}},
    categories={
        "2025001": frozenset({"poverty_alleviated"}),
        "2025002": frozenset({"orphan", "disabled"}),
    },
    team={"2025001": {MENTOR: "T1", AFFAIRS: "T2"}, "2025002": {AFFAIRS: "T3"}},
)
_FULL_STORED = Imported(
    counts={PersonKind.STUDENT: KindCounts(unchanged=2)},
    people={
        "2025001": {"phone": "13900000001", "key_attention": True},
        "2025002": {"phone": "13900000002", "key_attention": True},
    },
    categories={"2025001": frozenset({"orphan", "disabled"}), "2025002": frozenset({"other"})},
    team={"2025001": {MENTOR: "T1", AFFAIRS: "T2"}, "2025002": {MENTOR: "T1"}},
    changes=(),
)
_HIDDEN = FieldChange("", None, None, hidden=True)


def _hidden(column: str) -> FieldChange:
    return replace(_HIDDEN, column=column)


def _student_change(*fields: FieldChange) -> PersonChange:
    return PersonChange(PersonKind.STUDENT, "2025001", "学生2025001", fields)


CASES: tuple[Case, ...] = (
    Case(
        "merged-team-down-class",
        WORKBOOKS,
        _merged_down,
        Imported(
            counts={PersonKind.STUDENT: KindCounts(created=4), **TEAM_CREATED},
            people={c: {"major": "软件工程"} for c in ("2025001", "2025002", "2025003")}
            | {"2025004": {"major": "网络工程", "class_name": "计科2302"}},
            team={c: {MENTOR: "T1", AFFAIRS: "T2"} for c in ("2025001", "2025002", "2025003")}
            | {"2025004": {MENTOR: "T1", AFFAIRS: "T3"}},
            notes=("合并单元格",),
        ),
    ),
    Case(
        "merged-across-columns",
        WORKBOOKS,
        _merged_across,
        Refused((line(STUDENTS, 3, "专业", "合并单元格", "F3:G3"),)),
    ),
    Case(
        "merged-blank-required",
        WORKBOOKS,
        _merged_blank_class,
        Refused((Line(STUDENTS, "2-4", "班级", ("合并单元格",), total=3, without=("必填",)),)),
    ),
    Case("blank-cells-keep-stored", ALL, _blank_update, _FULL_STORED, before=_full),
    Case(
        "clear-marker-clears",
        ALL,
        _clear_update,
        Imported(
            counts={PersonKind.STUDENT: KindCounts(updated=1, unchanged=1)},
            people={
                "2025001": {"phone": None, "key_attention": False},
                "2025002": {"phone": "13900000002", "key_attention": True},
            },
            categories={"2025001": frozenset(), "2025002": frozenset({"other"})},
            team={"2025001": {AFFAIRS: "T2"}, "2025002": {MENTOR: "T1"}},
            changes=(
                _student_change(
                    FieldChange("联系电话", "139****0001", None),
                    _hidden("类别"),
                    _hidden("重点关注"),
                    FieldChange("学业导师", "T1", None),
                ),
            ),
        ),
        before=_full,
    ),
    Case(
        "dry-run-lists-changes",
        ALL,
        lambda f: _detailed(f, after=True),
        Imported(
            counts={PersonKind.STUDENT: KindCounts(updated=1)},
            people={
                "2025001": {
                    "dorm": "西区2栋202",
                    "phone": "13900000009",
                    "guardian_name": "李伟",
                    "native_place": "湖北武汉",
                    "birth_date": date(2005, 4, 1),
                    "key_attention": False,
                }
            },
            categories={"2025001": frozenset({"disabled"})},
            team={"2025001": {AFFAIRS: "T3"}},
            changes=(
                _student_change(
                    FieldChange("寝室", "东区1栋101", "西区2栋202"),
                    FieldChange("联系电话", "139****0001", "139****0009"),
                    FieldChange("家长姓名", "张*", "李*"),
                    _hidden("籍贯"),
                    _hidden("出生日期"),
                    _hidden("类别"),
                    _hidden("重点关注"),
                    FieldChange("学工教师", "T2", "T3"),
                ),
            ),
        ),
        before=lambda f: _detailed(f, after=False),
    ),
    Case(
        "clear-required-column",
        ALL,
        _clear_class,
        Refused((line(STUDENTS, 2, "班级", "清空"),)),
        before=_full,
    ),
    Case(
        "mangled-codes-are-the-same-people",
        ALL,
        _clean_codes,
        Imported(
            counts={PersonKind.STUDENT: KindCounts(unchanged=4)},
            people={f"202500{n}": {"name": f"学生{n}"} for n in range(1, 5)},
            absent=('="2025001"', "'2025001", "'2025002", "２０２５００３", "2025\u200b004"),
        ),
        before=_mangled_codes,
    ),
    Case(
        "pandas-floats-and-phone-prefix",
        ALL,
        _pandas_floats,
        Imported(
            counts={PersonKind.STUDENT: KindCounts(created=1)},
            people={
                "2025001": {
                    "class_name": "2501",
                    "grade": "2025",
                    "dorm": "3201",
                    "phone": "13900000001",
                }
            },
        ),
    ),
    Case(
        "scientific-notation-code",
        ALL,
        _students(student("2025001"), student("2.02504E+09")),
        Refused((line(STUDENTS, 3, "学号", "科学计数法"),)),
    ),
    Case(
        "leading-zeros-two-staff-rows",
        ALL,
        _zero_twins,
        Refused((line(STAFF, 3, "工号", "开头的 0", "00123"),)),
    ),
    Case(
        "leading-zeros-against-database",
        ALL,
        _staff(_STAFF_123),
        Refused((line(STAFF, 2, "工号", "开头的 0", "00123"),)),
        before=_staff(staff("00123")),
    ),
    Case(
        "leading-zeros-team-reference",
        ALL,
        _students(student("2025001", 学业导师=123)),
        Refused((line(STUDENTS, 2, "学业导师", "开头的 0", "00123"),)),
        before=_staff(staff("00123", 角色="学业导师")),
    ),
    Case(
        "formula-errors",
        ALL,
        _formula_errors,
        Refused(
            (
                line(STUDENTS, 2, "寝室", "公式", "#N/A"),
                line(STUDENTS, 3, "专业", "公式", "#REF!"),
                line(STUDENTS, 4, "联系电话", "公式", "#VALUE!"),
            )
        ),
    ),
    Case(
        "dorm-turned-into-date",
        ALL,
        _dorm_dates,
        Refused(
            (
                line(STUDENTS, 2, "寝室", "日期"),
                line(STUDENTS, 3, "寝室", "日期", "3月12日"),
            )
        ),
    ),
    Case(
        "phone-wrong-length",
        ALL,
        _students(
            student("2025001", 联系电话="1390000000"), student("2025002", 家长电话="139000000012")
        ),
        Refused((line(STUDENTS, 2, "联系电话", "10 位"), line(STUDENTS, 3, "家长电话", "12 位"))),
    ),
    Case(
        "birth-date-in-future",
        ALL,
        _future_birth,
        Refused((line(STUDENTS, 2, "出生日期", "晚于今天"),)),
    ),
    Case(
        "code-of-16-digits-as-number",
        WORKBOOKS,
        _students(_LONG_CODE),
        Refused((line(STUDENTS, 2, "学号", "15 位"),)),
    ),
    Case(
        "hidden-stale-staff-sheet",
        WORKBOOKS,
        _hidden_staff,
        Imported(
            counts={PersonKind.STUDENT: KindCounts(created=1)},
            people={"T2": {"college": "计算机学院"}},
            roles={"T2": frozenset({Role.COUNSELLOR.value, Role.COLLEGE_ADMIN.value})},
            team={"2025001": {AFFAIRS: "T2"}},
            notes=("隐藏",),
            role_changes=frozenset(),
        ),
        before=_fixed(Book((table(STAFF, _COUNSELLOR),))),
    ),
    Case(
        "hidden-rows",
        XLSX,
        _hidden_rows,
        Imported(
            counts={PersonKind.STUDENT: KindCounts(created=2)},
            people={"2025001": {}, "2025004": {}},
            absent=("2025002", "2025003"),
            notes=("隐藏",),
        ),
    ),
    Case(
        "template-staff-examples-left-in",
        ALL,
        _template_staff_left,
        Refused(
            tuple(
                line(STAFF, n, "工号", "示例行", str(row["工号"]))
                for n, row in enumerate(staff_rows(), 2)
            )
        ),
    ),
    Case(
        "template-as-written",
        XLSX,
        _template_as_written,
        Refused(
            (
                *(line(STUDENTS, n, "学号", "示例行") for n in (2, 3, 4)),
                *(line(STAFF, n, "工号", "示例行") for n in (2, 3, 4)),
            )
        ),
    ),
    Case(
        "role-changes-listed",
        ALL,
        _staff(*_ROLES_AFTER),
        Imported(
            counts={PersonKind.STAFF: KindCounts(created=1, updated=2)},
            roles=_WIDE_ROLES,
            role_changes=frozenset(
                {
                    RoleChange("T5", "教师T5", (Role.SCHOOL_ADMIN.value,), (), True),
                    RoleChange("T1", "教师T1", (Role.PSYCH_CENTER.value,), (), False),
                    RoleChange("T2", "教师T2", (), (Role.COLLEGE_ADMIN.value,), False),
                }
            ),
        ),
        before=_fixed(Book((table(STAFF, _COUNSELLOR),))),
    ),
    Case("misnamed-student-sheet", WORKBOOKS, _misnamed_sheet, Refused(empty=(WORKBOOK_STEM,))),
    Case(
        "header-readme-spellings",
        ALL,
        _readme_headers,
        Imported(
            counts={PersonKind.STUDENT: KindCounts(created=2), **TEAM_CREATED},
            people={
                "2025001": {"name": "学生2025001", "key_attention": True},
                "2025002": {"name": "学生2025002", "key_attention": False},
            },
            team={
                "2025001": {MENTOR: "T1", AFFAIRS: "T2"},
                "2025002": {MENTOR: "T1", AFFAIRS: "T3"},
            },
        ),
    ),
    Case(
        "header-marks-and-line-breaks",
        ALL,
        _marked_headers,
        Imported(
            counts={PersonKind.STUDENT: KindCounts(created=1)},
            people={
                "2025001": {
                    "name": "学生2025001",
                    "phone": "13900000001",
                    "guardian_phone": "13700000001",
                }
            },
        ),
    ),
    Case(
        "title-row-above-header",
        ALL,
        _TITLED,
        Imported(
            counts={PersonKind.STUDENT: KindCounts(created=2)},
            people={"2025001": {"major": "软件工程"}, "2025002": {"major": None}},
        ),
    ),
    Case(
        "title-row-error-real-row", ALL, _TITLED_BAD, Refused((line(STUDENTS, 4, "性别", "「M」"),))
    ),
    Case(
        "serial-and-remark-columns",
        ALL,
        _extras,
        Imported(
            counts={PersonKind.STUDENT: KindCounts(created=2)},
            people={"2025001": {"class_name": "计科2301"}, "2025002": {}},
            notes=("已忽略", "序号", "备注"),
        ),
    ),
    Case(
        "unknown-category",
        ALL,
        _students(student("2025001", 类别="孤儿、孤独")),
        Refused((line(STUDENTS, 2, "类别", "「孤独」", "可选", *CATEGORY_NAMES),)),
    ),
    Case(
        "unknown-role",
        ALL,
        _staff(staff("T1", 角色="辅导员、校长")),
        Refused((line(STAFF, 2, "角色", "「校长」", "可选", *ROLE_NAMES),)),
    ),
    Case(
        "dropdown-filled-down",
        ALL,
        _dropdown,
        Refused((line(STUDENTS, "2-181", "类别", "「请选择」", "可选", total=180),)),
    ),
    Case("csv-tab-separated", CSV, _dialect("\t", "utf-8-sig"), _DIALECT),
    Case("csv-semicolon-separated", CSV, _dialect(";", "utf-8-sig"), _DIALECT),
    Case("csv-utf16-unicode-text", CSV, _dialect("\t", "utf-16-le"), _DIALECT),
    Case("csv-gbk", CSV, _dialect(",", "gbk"), _DIALECT),
)
"""Every case of issue 10; ids are unique."""

BY_ID = {case.id: case for case in CASES}
assert len(BY_ID) == len(CASES), "case ids must be unique"


def describe(case: Case) -> str:
    expected = case.expected
    if isinstance(expected, Refused):
        where = [
            f"{e.sheet} 第{e.rows}行 {e.column} ({'/'.join(e.keywords[:2])})"
            for e in expected.lines
        ]
        outcome = "refused: " + (
            "; ".join(where) or "nothing read from " + "、".join(expected.empty)
        )
    else:
        outcome = "imported" + (
            f", notes with {'/'.join(expected.notes)}" if expected.notes else ""
        )
    first = ", after a clean import" if case.before else ""
    return f"{case.id} [{', '.join(case.formats)}]{first}: {outcome}"


def main(argv: Sequence[str]) -> int:
    """Write every case × format under OUTDIR/<case>/<format>/ and a list of expectations."""
    if len(argv) != 1:
        print("usage: python -m tests.fakes.messy_rosters OUTDIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    for case in CASES:
        for fmt in case.formats:
            write_case(case, fmt, out / case.id / fmt)
    listing = "\n".join(describe(case) for case in CASES) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    (out / "cases.txt").write_text(listing, encoding="utf-8")
    print(listing, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
