"""`carebot jobs import FILE.xlsx`: job postings from a workbook, every row checked, written
all or nothing. Problems are worded like the roster import's: `第N行 列名: 原因`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from messages.render import render
from storage.careers import postings
from storage.careers.dates import parse_deadline
from storage.models import JobPosting
from storage.roster.book import WORKBOOK_SUFFIXES, Book, BookError, Grid
from storage.roster.fields import MISSING, TOO_LONG
from storage.roster.layout import find_header
from storage.roster.names import column_name
from storage.roster.sheet import ROW, CellValue, is_blank, is_blank_row

SHEET = "岗位"
"""The sheet read when the workbook has one of this name; else the first visible sheet."""


@dataclass(frozen=True)
class Column:
    name: str
    attr: str
    required: bool
    limit: int = 0


COLUMNS = (
    Column("岗位名称", "title", True, 60),
    Column("招聘单位", "employer", True, 60),
    Column("工作地点", "place", True, 40),
    Column("薪资待遇", "salary", False, 40),
    Column("面向专业", "majors", False, 100),
    Column("截止日期", "deadline", True),
    Column("报名方式", "how_to_apply", True, 200),
    Column("链接", "link", False, 200),
)
ALIASES = {
    "岗位": "岗位名称",
    "职位": "岗位名称",
    "职位名称": "岗位名称",
    "单位": "招聘单位",
    "用人单位": "招聘单位",
    "公司": "招聘单位",
    "地点": "工作地点",
    "薪资": "薪资待遇",
    "薪酬": "薪资待遇",
    "专业": "面向专业",
    "专业要求": "面向专业",
    "截止时间": "截止日期",
    "报名截止": "截止日期",
    "投递方式": "报名方式",
    "网址": "链接",
    "详情链接": "链接",
}
_KNOWN = frozenset({column.name for column in COLUMNS} | ALIASES.keys())


class JobImportError(Exception):
    """Nothing was imported: every problem found, worded for the admin."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = list(problems)


@dataclass
class JobImport:
    postings: list[JobPosting] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    """Each posting's row number in the sheet."""
    sheet: str = ""
    ignored: list[str] = field(default_factory=list)
    """Header cells that name no posting column (left out)."""


def _problem(what: str, **context: object) -> str:
    return render("careers_import_problem", what=what, **context)


def read_postings(path: Path, *, today: date, now: datetime) -> JobImport:
    """The postings of the workbook at `path`, or JobImportError naming every problem."""
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise JobImportError([_problem("bad_type", file=path.name)])
    try:
        with Book(path) as book:
            visible = [sheet.name for sheet in book.sheets if sheet.visible]
            if not visible:
                raise JobImportError([_problem("no_rows", file=path.name)])
            name = SHEET if SHEET in visible else visible[0]
            grid = book.grids([name])[name]
    except BookError:
        raise JobImportError([_problem("bad_workbook", file=path.name)]) from None
    found = _read_grid(grid, today=today, now=now)
    found.sheet = name
    if not found.postings:
        raise JobImportError([_problem("no_rows", file=path.name)])
    return found


def _read_grid(grid: Grid, *, today: date, now: datetime) -> JobImport:
    at = find_header(grid.cells, _KNOWN)
    if at is None:
        return JobImport()
    columns, ignored = _header(grid.cells[at])
    missing = [c.name for c in COLUMNS if c.required and c.name not in columns]
    if missing:
        raise JobImportError([_problem("missing_columns", columns=missing)])
    problems: list[str] = []
    found = JobImport(ignored=ignored)
    for index in range(at + 1, len(grid.cells)):
        number, values = index + 1, grid.cells[index]
        if number in grid.hidden_rows or is_blank_row(values):
            continue
        fields: dict[str, object] = {}
        for column in COLUMNS:
            raw = _cell(values, columns.get(column.name))
            value, reason = _field(column, raw, today=today)
            if reason:
                problems.append(f"{ROW.format(row=number)} {column.name}: {reason}")
            fields[column.attr] = value
        if not problems:
            found.postings.append(JobPosting(**fields, created_at=now))  # type: ignore[arg-type]
            found.rows.append(number)
    if problems:
        raise JobImportError(problems)
    return found


def _header(cells: list[CellValue]) -> tuple[dict[str, int], list[str]]:
    """Column name → index, and the header cells that are no posting column."""
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, value in enumerate(cells):
        name = column_name(value, _KNOWN)
        if name is None:
            continue
        name = ALIASES.get(name, name)
        if name in _KNOWN and name not in columns:
            columns[name] = index
        else:
            ignored.append(name)
    return columns, ignored


def _cell(values: list[CellValue], index: int | None) -> CellValue:
    return values[index] if index is not None and index < len(values) else None


def _field(column: Column, raw: CellValue, *, today: date) -> tuple[object, str | None]:
    """A cell's value for the posting, or why it cannot be taken."""
    if is_blank(raw):
        return (None if column.attr != "majors" else ""), (
            str(MISSING) if column.required else None
        )
    if column.attr == "deadline":
        day = parse_deadline(raw, today=today)
        if day is None:
            return None, _problem("bad_deadline", value=raw)
        if day < today:
            return None, _problem("past_deadline", value=day.isoformat())
        return day, None
    text = _text(raw)
    if column.limit and len(text) > column.limit:
        return None, TOO_LONG.format(limit=column.limit)
    if column.attr == "link" and not postings.is_web_link(text):
        return None, _problem("bad_link", value=text)
    if column.attr == "majors":
        return postings.MAJOR_SEPARATOR.join(postings.split_majors(text)), None
    return text, None


def _text(raw: CellValue) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


async def import_postings(
    session: AsyncSession,
    path: Path,
    *,
    now: datetime,
    today: date,
    publisher_id: int | None = None,
    dry_run: bool = False,
) -> JobImport:
    """Read and check every row, then write all postings in the caller's transaction (none
    when any row has a problem, or with `dry_run`). A posting already stored (same title,
    employer and deadline) is a problem: importing a file twice adds nothing."""
    found = read_postings(path, today=today, now=now)
    await _refuse_repeats(session, found)
    for posting in found.postings:
        posting.publisher_id = publisher_id
    if not dry_run:
        await postings.add_postings(session, found.postings)
    return found


async def _refuse_repeats(session: AsyncSession, found: JobImport) -> None:
    keys = [(p.title, p.employer, p.deadline) for p in found.postings]
    query = select(JobPosting).where(col(JobPosting.title).in_({key[0] for key in keys}))
    stored = {(p.title, p.employer, p.deadline): p.id for p in (await session.exec(query)).all()}
    problems: list[str] = []
    first: dict[tuple[str, str, date], int] = {}
    for number, key in zip(found.rows, keys, strict=True):
        where = ROW.format(row=number)
        if key in stored:
            problems.append(_problem("already_stored", where=where, number=stored[key]))
        elif key in first:
            problems.append(_problem("repeated", where=where, first=first[key]))
        first.setdefault(key, number)
    if problems:
        raise JobImportError(problems)
