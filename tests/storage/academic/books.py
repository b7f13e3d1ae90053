"""Grades workbooks for the tests: the import's header and rows as a teaching office writes them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

HEADER = [
    "学号",
    "学期",
    "课程代码",
    "课程名称",
    "课程性质",
    "学分",
    "成绩",
    "等级",
    "首修/重修",
    "开课单位",
    "任课教师",
]
AUTUMN = "2026-2027学年第一学期"


def grade_row(
    code: str,
    course: str,
    *,
    name: str | None = None,
    nature: str = "必修",
    credits: object = 3,
    score: object = 80,
    letter: object = None,
    attempt: str = "首修",
    semester: str = AUTUMN,
    department: str | None = "数学学院",
    teacher: str | None = "赵老师",
) -> list[object]:
    return [
        code, semester, course, name or f"课程{course}", nature, credits, score, letter,
        attempt, department, teacher,
    ]  # fmt: skip


def grades_book(
    path: Path, rows: Sequence[Sequence[object]], *, header: Sequence[str] = HEADER
) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "成绩"
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path
