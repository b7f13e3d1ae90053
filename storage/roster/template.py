"""An example roster workbook: both sheets, required columns marked, rows that import cleanly."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font

from messages.render import render
from storage.people.categories import load_categories
from storage.roster.examples import staff_rows, student_rows
from storage.roster.fields import (
    CLEAR,
    COLUMNS,
    ROLE_NAMES,
    SEPARATORS,
    STUDENT_ROLE_NAMES,
    Column,
)
from storage.roster.source import SHEET_KINDS

_REQUIRED = Font(bold=True, color="C00000")
_OPTIONAL = Font(bold=True)
_TEXT_KEYS = {"学号", "工号", "联系电话", "家长电话", "学业导师", "学工教师", "朋辈导师"}


def _notes() -> list[str]:
    """The lines of the 说明 sheet."""
    notes = render(
        "roster_template_notes",
        clear=CLEAR,
        separators=list(SEPARATORS),
        categories=[category.name for category in load_categories()],
        roles=list(ROLE_NAMES),
        student_roles=list(STUDENT_ROLE_NAMES),
    )
    return notes.splitlines()


def write_template(path: Path, *, overwrite: bool = False) -> None:
    """Write the example workbook; it imports cleanly into an empty database. An existing file
    is kept (FileExistsError) unless `overwrite`; a missing folder raises FileNotFoundError."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    examples = {"学生": student_rows(), "教职工": staff_rows()}
    for title, kind in SHEET_KINDS.items():
        _fill(workbook.create_sheet(title), COLUMNS[kind], examples[title])
    notes = workbook.create_sheet("说明")
    notes.column_dimensions["A"].width = 100
    for line in _notes():
        notes.append([line])
    notes["A1"].font = _OPTIONAL
    with path.open("wb" if overwrite else "xb") as file:  # "x": no window to overwrite in
        workbook.save(file)


def _fill(sheet: Any, columns: tuple[Column, ...], rows: list[dict[str, object]]) -> None:
    sheet.append([column.name for column in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = _REQUIRED if column.required else _OPTIONAL
        if column.required:
            cell.comment = Comment("必填", "CareBot")
        sheet.column_dimensions[cell.column_letter].width = max(10, 2 * len(column.name) + 4)
    for row in rows:
        sheet.append([row.get(column.name) for column in columns])
        for cell, column in zip(sheet[sheet.max_row], columns, strict=True):
            if column.name in _TEXT_KEYS:
                cell.number_format = "@"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
