"""The case-file import's template workbook: the header row, in the import's column words."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from storage.cases.importer import CODE, COLUMNS, INFO, SHEET

WIDE = 30


def write_template(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    headers = [CODE, *INFO, *(column.name for column in COLUMNS)]
    sheet.append(headers)
    for index, _ in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = 14 if index <= 1 + len(INFO) else WIDE
    sheet.freeze_panes = "B2"
    book.save(path)
