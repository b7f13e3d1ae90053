"""Roster files for tests: rows as dicts, written as .xlsx (openpyxl) or .csv in any encoding."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import xlwt  # type: ignore[import-untyped]
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import session_scope
from storage.roster.fields import STAFF_COLUMNS, STUDENT_COLUMNS
from storage.roster.importer import ImportReport, RosterError, import_roster

Row = dict[str, object]
STUDENT_HEADER = [column.name for column in STUDENT_COLUMNS]
STAFF_HEADER = [column.name for column in STAFF_COLUMNS]
IMPORTED_AT = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
_CT = "application/vnd.openxmlformats-officedocument."


def staff(code: str, **values: object) -> Row:
    return {"工号": code, "姓名": f"教师{code}", "角色": "辅导员"} | values


def student(code: str, **values: object) -> Row:
    return {
        "学号": code,
        "姓名": f"学生{code}",
        "性别": "男",
        "学院": "计算机学院",
        "班级": "计科2301",
    } | values


def team() -> list[Row]:
    """Three staff who can fill every seat: T1 academic mentor, T2 counsellor, T3 class teacher."""
    return [
        staff("T1", 角色="学业导师", 企业微信账号="Mentor.One"),
        staff("T2", 角色="辅导员、学院管理员", 联系电话="139 0000 0002"),
        staff("T3", 角色="班主任"),
    ]


def write_xlsx(
    path: Path,
    *,
    students: Iterable[Row] | None = None,
    staff_rows: Iterable[Row] | None = None,
    student_header: Sequence[str] = STUDENT_HEADER,
    staff_header: Sequence[str] = STAFF_HEADER,
) -> Path:
    """A workbook with a 学生 and/or 教职工 sheet (None leaves the sheet out)."""
    workbook = Workbook(write_only=True)
    for title, rows, header in (
        ("学生", students, student_header),
        ("教职工", staff_rows, staff_header),
    ):
        if rows is not None:
            sheet = workbook.create_sheet(title)
            sheet.append(list(header))
            for row in rows:
                sheet.append([row.get(name) for name in header])
    workbook.save(path)
    return path


def table(header: Sequence[str], rows: Iterable[Row]) -> list[list[object]]:
    """A sheet's rows: the header, then each row's values in the header's order."""
    return [list(header), *([row.get(name) for name in header] for row in rows)]


def write_workbook(
    path: Path,
    sheets: dict[str, list[list[object]]],
    *,
    edit: Callable[[Workbook], None] | None = None,
) -> Path:
    """An .xlsx written by openpyxl, rows from A1; `edit` merges, hides or styles before it is
    saved (openpyxl writes a string such as "#N/A" as a formula-error cell)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for values in rows:
            sheet.append(values)
    if edit is not None:
        edit(workbook)
    workbook.save(path)
    return path


def write_xls(
    path: Path,
    sheets: dict[str, list[list[object]]],
    *,
    merged: Sequence[tuple[str, int, int, int, int]] = (),
    hidden: Sequence[str] = (),
) -> Path:
    """A legacy .xls (xlwt); `merged` holds (sheet, first row, last row, first column, last
    column), all from 0, the value being the one at the range's top left."""
    book = xlwt.Workbook(encoding="utf-8")
    day = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    spans = {(name, top, left): (bottom, right) for name, top, bottom, left, right in merged}
    for title, rows in sheets.items():
        sheet = book.add_sheet(title)
        sheet.visibility = 1 if title in hidden else 0
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                style = day if isinstance(value, date) else xlwt.Style.default_style
                if (title, r, c) in spans:
                    bottom, right = spans[title, r, c]
                    sheet.write_merge(r, bottom, c, right, value, style)
                elif value is not None:
                    sheet.write(r, c, value, style)
    book.save(str(path))
    return path


def csv_text(rows: Sequence[Row], header: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row.get(name) for name in header])
    return buffer.getvalue()


def write_csv(
    path: Path,
    rows: Sequence[Row],
    *,
    header: Sequence[str],
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    """A CSV file; encoding "utf-8-sig" writes a BOM, "gb18030" what a Chinese Excel writes,
    "utf-16" (with delimiter "\t") Excel's 「Unicode 文本」."""
    text = csv_text(rows, header)
    if delimiter != ",":
        records = csv.reader(io.StringIO(text, newline=""))
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(records)
        text = buffer.getvalue()
    path.write_bytes(text.encode(encoding))
    return path


ROSTER_TABLES = ("person", "person_role", "student_category", "assignment", "messenger_account")


async def import_files(
    sessions: async_sessionmaker[AsyncSession], *files: Path, dry_run: bool = False
) -> ImportReport:
    """Run an import in its own transaction, as the CLI does."""
    async with session_scope(sessions) as session:
        return await import_roster(session, list(files), now=IMPORTED_AT, dry_run=dry_run)


async def import_errors(sessions: async_sessionmaker[AsyncSession], *files: Path) -> list[str]:
    with pytest.raises(RosterError) as caught:
        await import_files(sessions, *files)
    return caught.value.errors


async def row_counts(engine: AsyncEngine) -> dict[str, int]:
    """Rows per roster table, read with plain SQL."""
    async with engine.connect() as connection:
        return {
            table: (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            for table in (*ROSTER_TABLES, "audit_log")
        }


def big_roster(path: Path, *, students: int, staff_count: int) -> Path:
    """A university-sized workbook as Excel saves it: shared strings, numbers, date cells."""
    staff_rows = [
        staff(f"T{n:05d}", 角色=("学业导师", "辅导员", "班主任")[n % 3], 联系电话=13600000000 + n)
        for n in range(staff_count)
    ]
    sheets = {
        "学生": table(STUDENT_HEADER, _big_students(students, staff_count)),
        "教职工": table(STAFF_HEADER, staff_rows),
    }
    return write_excel_like(path, sheets)


def write_excel_like(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """An .xlsx written the way Excel writes one, in a fraction of openpyxl's time."""
    strings: dict[str, int] = {}
    parts = {
        f"xl/worksheets/sheet{n}.xml": _sheet_xml(rows, strings)
        for n, rows in enumerate(sheets.values(), start=1)
    }
    shared = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    parts |= _package(list(sheets), list(parts)) | {
        "xl/sharedStrings.xml": f'<sst xmlns="{_MAIN}">{shared}</sst>',
        "xl/styles.xml": f'<styleSheet xmlns="{_MAIN}"><cellXfs count="2"><xf numFmtId="0"/>'
        '<xf numFmtId="14"/></cellXfs></styleSheet>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return path


def _package(names: list[str], sheet_parts: list[str]) -> dict[str, str]:
    """Content types, relationships and the workbook part that tie the sheets together."""
    sheets = "".join(
        f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>' for n, name in enumerate(names, 1)
    )
    links = "".join(
        f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="{part.removeprefix("xl/")}"/>'
        for n, part in enumerate(sheet_parts, 1)
    )
    kinds = [
        ("xl/workbook.xml", "spreadsheetml.sheet.main"),
        ("xl/sharedStrings.xml", "spreadsheetml.sharedStrings"),
        ("xl/styles.xml", "spreadsheetml.styles"),
        *((part, "spreadsheetml.worksheet") for part in sheet_parts),
    ]
    overrides = "".join(
        f'<Override PartName="/{part}" ContentType="{_CT}{kind}+xml"/>' for part, kind in kinds
    )
    return {
        "[Content_Types].xml": f'<Types xmlns="{_TYPES}"><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>',
        "_rels/.rels": f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheets}</sheets>'
        "</workbook>",
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PKG}">{links}'
        f'<Relationship Id="rIdS" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rIdY" Type="{_REL}/styles" Target="styles.xml"/></Relationships>',
    }


def _sheet_xml(rows: list[list[object]], strings: dict[str, int]) -> str:
    lines = [f'<worksheet xmlns="{_MAIN}"><sheetData>']
    for number, values in enumerate(rows, start=1):
        cells = "".join(
            _cell_xml(f"{get_column_letter(index)}{number}", value, strings)
            for index, value in enumerate(values, start=1)
            if value is not None
        )
        lines.append(f'<row r="{number}">{cells}</row>')
    lines.append("</sheetData></worksheet>")
    return "".join(lines)


def _cell_xml(ref: str, value: object, strings: dict[str, int]) -> str:
    if isinstance(value, datetime):
        serial = (value - datetime(1899, 12, 30)).days
        return f'<c r="{ref}" s="1"><v>{serial}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    index = strings.setdefault(str(value), len(strings))
    return f'<c r="{ref}" t="s"><v>{index}</v></c>'


def _big_students(count: int, staff_count: int) -> Iterator[Row]:
    for n in range(count):
        mentor, teacher = 3 * (n % (staff_count // 3)), 3 * (n % (staff_count // 3)) + 1
        yield student(
            f"2023{n:06d}",
            专业="软件工程",
            年级="2023",
            寝室=f"东区{n % 20}栋{n % 500}",
            联系电话=13800000000 + n,
            家长姓名=f"家长{n}",
            家长电话=f"139-{n:08d}",
            籍贯="湖南长沙",
            出生日期=datetime(2005, 1 + n % 12, 1 + n % 28),
            类别="孤儿、残疾" if n % 10 == 0 else "脱贫家庭" if n % 10 == 1 else None,
            重点关注="是" if n % 50 == 0 else "否",
            学业导师=f"T{mentor:05d}",
            学工教师=f"T{teacher:05d}",
            朋辈导师=f"2023{n - 1:06d}" if n % 10 == 2 else None,
            企业微信账号=f"Stu{n}",
            预计毕业年份=2027,
        )
