"""The statistics as a workbook (`carebot stats --format xlsx`): one sheet per table, the
watermark line on top and in the footer."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from storage.reports.stats_model import Table

HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
WIDTH = 18


def stats_workbook(tables: Sequence[Table], *, title: str, mark: str) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(table.title[:31])
        sheet.append([title])
        sheet.append([mark])
        sheet.append(table.head)
        for row in table.rows:
            sheet.append(row)
        sheet["A1"].font = Font(bold=True, size=13)
        sheet["A2"].font = Font(size=9, color="808080")
        for cell in sheet[3]:
            cell.font, cell.fill = Font(bold=True), HEAD_FILL
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
        for column in range(1, len(table.head) + 1):
            sheet.column_dimensions[get_column_letter(column)].width = WIDTH
        sheet.oddFooter.center.text = mark.replace("&", "&&")
        sheet.freeze_panes = "A4"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
