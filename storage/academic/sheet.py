"""Reading a grades workbook (`carebot grades import`): each row's cells checked, problems
worded like the roster import's `第N行 列名: 原因`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

from messages.render import render
from storage.academic.grading import LETTERS, TOP_SCORE, Mark, mark_of_letter, mark_of_score
from storage.models import CourseNature
from storage.roster.book import WORKBOOK_SUFFIXES, Book, BookError, Grid
from storage.roster.fields import MISSING, TOO_LONG, Invalid, cell_text, code
from storage.roster.layout import find_header
from storage.roster.names import column_name
from storage.roster.sheet import ROW, CellValue, is_blank, is_blank_row

T = TypeVar("T")
SHEET = "成绩"
"""The sheet read when the workbook has one of this name; else the first visible sheet."""
STUDENT_COLUMN, COURSE_COLUMN = "学号", "课程代码"
COLUMNS = (
    STUDENT_COLUMN,
    "学期",
    COURSE_COLUMN,
    "课程名称",
    "课程性质",
    "学分",
    "成绩",
    "等级",
    "首修/重修",
)
OPTIONAL = ("开课单位", "任课教师")
REQUIRED = tuple(name for name in COLUMNS if name not in ("成绩", "等级"))
ALIASES = {
    "学生学号": "学号",
    "开课学期": "学期",
    "学年学期": "学期",
    "课程号": "课程代码",
    "课程编号": "课程代码",
    "课程": "课程名称",
    "课程类别": "课程性质",
    "分数": "成绩",
    "总评成绩": "成绩",
    "成绩等级": "等级",
    "修读性质": "首修/重修",
    "修读方式": "首修/重修",
    "重修标记": "首修/重修",
    "首修重修": "首修/重修",
    "开课学院": "开课单位",
    "教师": "任课教师",
}
_KNOWN = frozenset((*COLUMNS, *OPTIONAL, *ALIASES))
NATURES = {
    "必修": CourseNature.REQUIRED,
    "选修": CourseNature.ELECTIVE,
    "学位": CourseNature.DEGREE,
}
ATTEMPTS = {"首修": False, "初修": False, "重修": True}
MOST_CREDITS = 30.0
NAME_LIMIT = 64


@dataclass(frozen=True, slots=True)
class SemesterRef:
    """A policy semester, as the caller's lookup (handlers/policy/calendar.semester_named)
    names it."""

    name: str
    start: date


SemesterLookup = Callable[[str], SemesterRef | None]


@dataclass(frozen=True, slots=True)
class GradeLine:
    """One checked row of the sheet."""

    row: int
    student_code: str
    semester: SemesterRef
    course_code: str
    course_name: str
    nature: str
    credits: float
    score: float | None
    letter: str | None
    mark: Mark
    retake: bool
    department: str | None
    teacher: str | None


@dataclass
class GradeSheet:
    lines: list[GradeLine] = field(default_factory=list)
    sheet: str = ""


class GradeImportError(Exception):
    """Nothing was imported: every problem found, worded for the admin."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = list(problems)


def problem(what: str, **context: object) -> str:
    return render("grades_import_problem", what=what, **context)


def read_grades(path: Path, *, semesters: SemesterLookup) -> GradeSheet:
    """The rows of the workbook at `path`, or GradeImportError naming every problem."""
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise GradeImportError([problem("bad_type", file=path.name)])
    try:
        with Book(path) as book:
            visible = [sheet.name for sheet in book.sheets if sheet.visible]
            name = SHEET if SHEET in visible else (visible[0] if visible else "")
            grid = book.grids([name])[name] if name else None
    except BookError:
        raise GradeImportError([problem("bad_workbook", file=path.name)]) from None
    found = GradeSheet(sheet=name)
    if grid is not None:
        found.lines = _read_grid(grid, semesters)
    if not found.lines:
        raise GradeImportError([problem("no_rows", file=path.name)])
    return found


def _read_grid(grid: Grid, semesters: SemesterLookup) -> list[GradeLine]:
    at = find_header(grid.cells, _KNOWN)
    if at is None:
        return []
    columns = _header(grid.cells[at])
    missing = [name for name in REQUIRED if name not in columns]
    if "成绩" not in columns and "等级" not in columns:
        missing.append("成绩/等级")
    if missing:
        raise GradeImportError([problem("missing_columns", columns=missing)])
    problems: list[str] = []
    lines: list[GradeLine] = []
    for index in range(at + 1, len(grid.cells)):
        number, values = index + 1, grid.cells[index]
        if number in grid.hidden_rows or is_blank_row(values):
            continue
        cells = {name: _cell(values, at) for name, at in columns.items()}
        line = _line(number, cells, semesters, problems)
        if line is not None:
            lines.append(line)
    if problems:
        raise GradeImportError(problems)
    return lines


def _header(cells: list[CellValue]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, value in enumerate(cells):
        name = column_name(value, _KNOWN)
        name = ALIASES.get(name, name) if name else None
        if name in _KNOWN and name not in columns:
            columns[name] = index
    return columns


def _cell(values: list[CellValue], index: int) -> CellValue:
    return values[index] if index < len(values) else None


class _Row:
    """One row's cells and the problems found in them."""

    def __init__(self, number: int, cells: dict[str, CellValue], problems: list[str]) -> None:
        self.number, self.cells, self.problems = number, cells, problems

    def fail(self, column: str, reason: str) -> None:
        self.problems.append(f"{ROW.format(row=self.number)} {column}: {reason}")

    def text(self, column: str, *, required: bool = True, limit: int = NAME_LIMIT) -> str | None:
        raw = self.cells.get(column)
        try:
            value = code(raw) if column == "学号" else cell_text(raw)
        except Invalid as exc:
            self.fail(column, str(exc.reasons[0]))
            return None
        if value is None:
            if required:
                self.fail(column, str(MISSING))
            return None
        if len(value) > limit:
            self.fail(column, TOO_LONG.format(limit=limit))
            return None
        return value


def _line(
    number: int, cells: dict[str, CellValue], semesters: SemesterLookup, problems: list[str]
) -> GradeLine | None:
    row = _Row(number, cells, problems)
    seen = len(problems)
    student, course_code = row.text("学号"), row.text("课程代码", limit=32)
    course_name = row.text("课程名称")
    semester = _semester(row, semesters)
    nature = _choice(row, "课程性质", NATURES, shown=tuple(CourseNature))
    attempt = _choice(row, "首修/重修", ATTEMPTS, shown=("首修", "重修"))
    credits = _credits(row)
    score, letter, mark = _mark(row)
    department = row.text("开课单位", required=False)
    teacher = row.text("任课教师", required=False)
    if len(problems) > seen:
        return None
    assert student and course_code and course_name and semester and nature and mark
    assert credits is not None and attempt is not None
    return GradeLine(
        number, student, semester, course_code, course_name, nature, credits,
        score, letter, mark, attempt, department, teacher,
    )  # fmt: skip


def _semester(row: _Row, semesters: SemesterLookup) -> SemesterRef | None:
    written = row.text("学期")
    found = semesters(written) if written else None
    if written and found is None:
        row.fail("学期", problem("bad_semester", value=written))
    return found


def _choice(row: _Row, column: str, options: Mapping[str, T], *, shown: Sequence[str]) -> T | None:
    written = row.text(column)
    if written is None:
        return None
    key = written.removesuffix("课") if column == "课程性质" else written
    if key in options:
        return options[key]
    row.fail(column, problem("bad_choice", value=written, options=list(shown)))
    return None


def _number(raw: CellValue) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    try:
        return float(str(raw).strip())
    except ValueError:
        return None


def _shown(raw: CellValue) -> str:
    """A refused cell as its writer sees it (101, not 101.0)."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def _credits(row: _Row) -> float | None:
    raw = row.cells.get("学分")
    if is_blank(raw):
        row.fail("学分", str(MISSING))
        return None
    value = _number(raw)
    if value is None or not 0 < value <= MOST_CREDITS:
        row.fail("学分", problem("bad_credits", value=_shown(raw), most=int(MOST_CREDITS)))
        return None
    return value


def _mark(row: _Row) -> tuple[float | None, str | None, Mark | None]:
    """成绩 when given (a number, or a 等级 written in it), else 等级."""
    raw_score, raw_letter = row.cells.get("成绩"), row.cells.get("等级")
    if not is_blank(raw_score):
        score = _number(raw_score)
        if score is None:
            mark = mark_of_letter(str(raw_score))
            if mark is not None:
                return None, str(raw_score).strip(), mark
        if score is None or not 0 <= score <= TOP_SCORE:
            row.fail("成绩", problem("bad_score", value=_shown(raw_score)))
            return None, None, None
        return score, None, mark_of_score(score)
    if not is_blank(raw_letter):
        mark = mark_of_letter(str(raw_letter))
        if mark is None:
            row.fail("等级", problem("bad_letter", value=_shown(raw_letter), letters=list(LETTERS)))
            return None, None, None
        return None, str(raw_letter).strip(), mark
    row.fail("成绩", problem("no_mark"))
    return None, None, None
