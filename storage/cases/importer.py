"""`carebot casefile import FILE.xlsx`: case-file sections from a workbook (学号 plus any of the
section columns), every row checked, written all or nothing. Problems are worded like the
roster import's: `第N行 列名: 原因`. A blank cell leaves the stored text as it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from messages.render import render
from storage import audit
from storage.cases import files
from storage.cases.files import (
    HISTORY_MAX,
    PHYSICAL,
    PLAN_MAX,
    PROBLEM_MAX,
    VERIFICATION,
    field_label,
    problem_field,
)
from storage.models import Person, PersonKind
from storage.people.categories import load_categories
from storage.people.queries import find_by_code
from storage.roster.book import WORKBOOK_SUFFIXES, Book, BookError, Grid
from storage.roster.fields import TOO_LONG
from storage.roster.layout import find_header
from storage.roster.names import column_name
from storage.roster.sheet import ROW, CellValue, is_blank, is_blank_row

SHEET = "档案"
CODE = "学号"
INFO = ("姓名", "班级")
"""Columns a person fills in to find their way in the sheet: read past, never imported."""


@dataclass(frozen=True)
class Column:
    name: str
    field: str
    limit: int
    aliases: tuple[str, ...] = ()


def _columns() -> tuple[Column, ...]:
    problems = tuple(
        Column(c.ledger_column or c.name, problem_field(c.code), PROBLEM_MAX, (c.name,))
        for c in load_categories()
    )
    return (
        *problems,
        Column(field_label(VERIFICATION), VERIFICATION, PROBLEM_MAX),
        Column(field_label("life_history"), "life_history", HISTORY_MAX, ("既往生活史", "生活史")),
        Column(field_label("plan_academic"), "plan_academic", PLAN_MAX, ("学业",)),
        Column(field_label("plan_psych"), "plan_psych", PLAN_MAX, ("心理",)),
        Column(field_label("plan_financial"), "plan_financial", PLAN_MAX, ("经济",)),
        Column(field_label("plan_employment"), "plan_employment", PLAN_MAX, ("就业",)),
    )


COLUMNS = _columns()
_BY_NAME = {name: c for c in COLUMNS for name in (c.name, *c.aliases)}
_KNOWN = frozenset({CODE, *INFO, *_BY_NAME})
_NAMES = {category.code: category.name for category in load_categories()}


class CaseImportError(Exception):
    """Nothing was imported: every problem found, worded for the admin."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = list(problems)


@dataclass
class Row:
    number: int
    code: str
    values: dict[str, str] = field(default_factory=dict)
    """Field → text, for the cells that are not blank."""


@dataclass
class CaseImport:
    rows: list[Row] = field(default_factory=list)
    sheet: str = ""
    ignored: list[str] = field(default_factory=list)


def _problem(what: str, **context: object) -> str:
    return render("case_import_problem", what=what, **context)


def read_rows(path: Path) -> CaseImport:
    """The rows of the workbook at `path`, or CaseImportError naming every problem."""
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise CaseImportError([_problem("bad_type", file=path.name)])
    try:
        with Book(path) as book:
            visible = [sheet.name for sheet in book.sheets if sheet.visible]
            if not visible:
                raise CaseImportError([_problem("no_rows", file=path.name)])
            name = SHEET if SHEET in visible else visible[0]
            grid = book.grids([name])[name]
    except BookError:
        raise CaseImportError([_problem("bad_workbook", file=path.name)]) from None
    found = _read_grid(grid)
    found.sheet = name
    if not found.rows:
        raise CaseImportError([_problem("no_rows", file=path.name)])
    return found


def _read_grid(grid: Grid) -> CaseImport:
    at = find_header(grid.cells, _KNOWN)
    if at is None:
        return CaseImport()
    columns, ignored = _header(grid.cells[at])
    if CODE not in columns or len(columns) == 1:
        raise CaseImportError([_problem("missing_columns", code=CODE)])
    problems: list[str] = []
    found = CaseImport(ignored=ignored)
    for index in range(at + 1, len(grid.cells)):
        number, values = index + 1, grid.cells[index]
        if number in grid.hidden_rows or is_blank_row(values):
            continue
        row = _row(number, values, columns, problems)
        if row is not None:
            found.rows.append(row)
    if problems:
        raise CaseImportError(problems)
    return found


def _header(cells: list[CellValue]) -> tuple[dict[str, int], list[str]]:
    """Column (its canonical name) → index, and the header cells that name no column."""
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, value in enumerate(cells):
        name = column_name(value, _KNOWN)
        if name is None or name in INFO:
            continue
        canonical = name if name == CODE else _BY_NAME[name].name if name in _BY_NAME else None
        if canonical is None or canonical in columns:
            ignored.append(name)
        else:
            columns[canonical] = index
    return columns, ignored


def _row(
    number: int, values: list[CellValue], columns: dict[str, int], problems: list[str]
) -> Row | None:
    where = ROW.format(row=number)
    code = _text(_cell(values, columns[CODE]))
    if not code:
        problems.append(f"{where} {CODE}: {_problem('no_code')}")
        return None
    row = Row(number, code)
    for name, index in columns.items():
        column = _BY_NAME.get(name)
        text = _text(_cell(values, index))
        if column is None or not text:
            continue
        if len(text) > column.limit:
            problems.append(f"{where} {name}: {TOO_LONG.format(limit=column.limit)}")
        row.values[column.field] = text
    return row


def _cell(values: list[CellValue], index: int) -> CellValue:
    return values[index] if index < len(values) else None


def _text(raw: CellValue) -> str:
    if is_blank(raw):
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


async def import_case_files(
    session: AsyncSession, path: Path, *, now: datetime, dry_run: bool = False
) -> CaseImport:
    """Read and check every row against the database, then write every row's sections in the
    caller's transaction (none when any row has a problem, or with `dry_run`)."""
    found = read_rows(path)
    students = await _check(session, found)
    if dry_run:
        return found
    for row in found.rows:
        await files.write_sections(session, students[row.code], values=row.values, by=None, now=now)
    await audit.record(session, action="case_file_import", at=now, detail=f"{len(found.rows)} rows")
    return found


async def _check(session: AsyncSession, found: CaseImport) -> dict[str, int]:
    """学号 → student id; CaseImportError naming every row that cannot be written."""
    problems: list[str] = []
    students: dict[str, int] = {}
    first: dict[str, int] = {}
    for row in found.rows:
        where = f"{ROW.format(row=row.number)} {CODE}"
        if row.code in first:
            problems.append(f"{where}: {_problem('repeated', first=first[row.code])}")
            continue
        first[row.code] = row.number
        person = await find_by_code(session, row.code)
        if person is None or person.id is None or person.kind != PersonKind.STUDENT:
            problems.append(f"{where}: {_problem('unknown_code', code=row.code)}")
            continue
        students[row.code] = person.id
        problems.extend(await _fits(session, row, person))
    if problems:
        raise CaseImportError(problems)
    return students


async def _fits(session: AsyncSession, row: Row, student: Person) -> list[str]:
    """A row's problems with this student: a closed file, or a category they do not have."""
    assert student.id is not None
    where = ROW.format(row=row.number)
    record = await files.record_of(session, student.id)
    if record.closed:
        return [f"{where} {CODE}: {_problem('closed', code=row.code)}"]
    codes = {category.code for category in record.categories}
    problems = []
    for column in COLUMNS:
        category = _category_of(column.field)
        if column.field in row.values and category is not None and category not in codes:
            name = _NAMES.get(category, category)
            problems.append(f"{where} {column.name}: {_problem('no_category', category=name)}")
    return problems


def _category_of(name: str) -> str | None:
    """The category a problem field (or 班主任核实情况) belongs to; None for the other fields."""
    if name == VERIFICATION:
        return PHYSICAL
    return name.removeprefix(files.PROBLEM) if name.startswith(files.PROBLEM) else None
