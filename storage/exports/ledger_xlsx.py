"""The ledger (seed 001 附件1) as an xlsx workbook: one sheet per category, printable as is."""

from __future__ import annotations

import math
from dataclasses import dataclass
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from storage.exports.watermark import Watermark

BEFORE = ("序号", "姓名", "性别", "班级", "所在寝室", "本人联系方式", "家长姓名及联系方式")
VERIFICATION = "班主任核实情况"
AFTER = ("帮扶措施", "帮扶人姓名及联系方式", "帮扶效果", "备注")
HEADER_ROW = 3
# Widths in characters, chosen so a landscape A4 page fits every column legibly.
WIDTHS = {"序号": 5, "姓名": 8, "性别": 5, "班级": 11, "所在寝室": 11, "本人联系方式": 13}
WIDTHS |= {"家长姓名及联系方式": 15, VERIFICATION: 18, "帮扶措施": 34}
WIDTHS |= {"帮扶人姓名及联系方式": 24, "帮扶效果": 20, "备注": 12}
CATEGORY_WIDTH = 28
LINE_HEIGHT = 14.0  # points per line of 10-point 宋体, with LibreOffice's leading
CELL_STYLE, NUMBER_STYLE = "ledger_cell", "ledger_number"
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_NUMBER = Alignment(horizontal="center", vertical="top")
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
_FONT = Font(name="宋体", size=10)
_BOLD = Font(name="宋体", size=10, bold=True)


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One student on one sheet; every field is the cell's text (empty when unknown)."""

    name: str
    gender: str
    class_name: str
    dorm: str
    phone: str
    guardian: str
    problem: str
    """The category column (the 类别 column on the groups sheet)."""
    verification: str
    measures: str
    helpers: str
    effect: str
    remark: str


@dataclass(frozen=True, slots=True)
class LedgerSheet:
    tab: str
    heading: str
    column: str
    verified: bool
    """The sheet has 班主任核实情况 after its category column (生理缺陷)."""
    rows: tuple[LedgerRow, ...]
    column_width: float = CATEGORY_WIDTH

    @property
    def headers(self) -> tuple[str, ...]:
        extra = (VERIFICATION,) if self.verified else ()
        return (*BEFORE, self.column, *extra, *AFTER)


@dataclass(frozen=True, slots=True)
class Ledger:
    title: str
    date_line: str
    footer: tuple[str, str, str]
    """注：以上表格每学期上报一次 · 填表人： · 负责人："""
    sheets: tuple[LedgerSheet, ...]
    watermark: Watermark


def ledger_xlsx(ledger: Ledger) -> bytes:
    book = Workbook()
    book.add_named_style(NamedStyle(CELL_STYLE, font=_FONT, border=_BOX, alignment=_WRAP))
    book.add_named_style(NamedStyle(NUMBER_STYLE, font=_FONT, border=_BOX, alignment=_NUMBER))
    first = book.active
    assert first is not None
    book.remove(first)
    for sheet in ledger.sheets:
        _write_sheet(book.create_sheet(sheet.tab), sheet, ledger)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _write_sheet(ws: Worksheet, sheet: LedgerSheet, ledger: Ledger) -> None:
    headers = sheet.headers
    width = len(headers)
    _title_rows(ws, ledger, heading=sheet.heading, width=width)
    widths = [WIDTHS.get(header, sheet.column_width) for header in headers]
    for index, header in enumerate(headers, start=1):
        cell = ws.cell(HEADER_ROW, index, header)
        cell.font, cell.alignment, cell.border = _BOLD, _CENTRE, _BOX
        ws.column_dimensions[get_column_letter(index)].width = widths[index - 1]
    ws.row_dimensions[HEADER_ROW].height = 42
    for number, row in enumerate(sheet.rows, start=1):
        _data_row(ws, HEADER_ROW + number, _cells(number, row, verified=sheet.verified), widths)
    _footer_rows(ws, ledger, after=HEADER_ROW + len(sheet.rows), width=width)
    _print_setup(ws, ledger.watermark)


def _cells(number: int, row: LedgerRow, *, verified: bool) -> list[object]:
    extra = [row.verification] if verified else []
    person = [row.name, row.gender, row.class_name, row.dorm, row.phone, row.guardian]
    return [number, *person, row.problem, *extra, row.measures, row.helpers, row.effect, row.remark]


def _data_row(ws: Worksheet, at: int, values: list[object], widths: list[float]) -> None:
    lines = 1
    for index, value in enumerate(values, start=1):
        cell = ws.cell(at, index, value if value != "" else None)
        # one named style per cell: setting font, border and alignment one by one hashes
        # each of them per cell, which took most of a school's export
        cell.style = NUMBER_STYLE if index == 1 else CELL_STYLE
        if isinstance(value, str) and value:
            lines = max(lines, _lines(value, widths[index - 1]))
    # Excel and LibreOffice keep a stored height; neither grows a row to wrapped text on open
    ws.row_dimensions[at].height = LINE_HEIGHT * lines + 3


def _lines(text: str, width: float) -> int:
    """How many lines `text` wraps to in a column `width` characters wide (CJK: two each)."""
    room = max(width - 2, 1)
    return sum(max(1, math.ceil(_display(line) / room)) for line in text.split("\n"))


def _display(line: str) -> int:
    return math.ceil(sum(2 if ord(char) > 0x2E7F else 1.1 for char in line))


def _title_rows(ws: Worksheet, ledger: Ledger, *, heading: str, width: int) -> None:
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    title = ws.cell(1, 1, ledger.title)
    title.font = Font(name="宋体", size=16, bold=True)
    title.alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 30
    split = width - 3  # the date line takes the last three columns, as in the seed
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=split)
    ws.merge_cells(start_row=2, start_column=split + 1, end_row=2, end_column=width)
    left = ws.cell(2, 1, heading)
    left.font, left.alignment = Font(name="宋体", size=12, bold=True), Alignment(vertical="center")
    right = ws.cell(2, split + 1, ledger.date_line)
    right.font, right.alignment = _FONT, Alignment(horizontal="right", vertical="center")
    ws.row_dimensions[2].height = 22


def _footer_rows(ws: Worksheet, ledger: Ledger, *, after: int, width: int) -> None:
    at = after + 1
    note, filler, leader = ledger.footer
    spans = ((1, width - 6), (width - 5, width - 3), (width - 2, width))
    for (start, end), text in zip(spans, (note, filler, leader), strict=True):
        ws.merge_cells(start_row=at, start_column=start, end_row=at, end_column=end)
        cell = ws.cell(at, start, text)
        cell.font, cell.alignment = _FONT, Alignment(vertical="center")
    ws.row_dimensions[at].height = 22
    ws.merge_cells(start_row=at + 1, start_column=1, end_row=at + 1, end_column=width)
    mark = ws.cell(at + 1, 1, ledger.watermark.text)
    mark.font = Font(name="宋体", size=9, italic=True, color="808080")
    mark.alignment = Alignment(horizontal="right")


def _print_setup(ws: Worksheet, watermark: Watermark) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 1)
    ws.oddHeader.right.text = watermark.header
    ws.oddHeader.right.size = 8
    ws.oddHeader.right.color = "808080"
    ws.oddFooter.left.text = watermark.header
    ws.oddFooter.left.size = 8
    ws.oddFooter.right.text = watermark.page
    ws.oddFooter.right.size = 8
