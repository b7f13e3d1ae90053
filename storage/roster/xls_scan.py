"""Hidden rows and formula-error cells of legacy .xls worksheets, read with xlrd.

python-calamine reads .xls values but exposes neither row visibility nor error cells (an error
reads as blank). xlrd, which reads the BIFF records themselves, gives both; it is used only for
that, after calamine has read the values.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import xlrd

from storage.roster.xlsx_scan import ScanError, SheetMarks


def scan_xls(path: Path, names: Collection[str]) -> dict[str, SheetMarks]:
    """Hidden rows (as Excel numbers them) and error cells (0-based) of the named sheets."""
    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except (xlrd.XLRDError, OSError, ValueError, AssertionError) as exc:
        raise ScanError(str(exc)) from exc
    try:
        return {name: _marks(book.sheet_by_name(name)) for name in names}
    except (xlrd.XLRDError, ValueError, KeyError) as exc:
        raise ScanError(str(exc)) from exc
    finally:
        book.release_resources()


def _marks(sheet: xlrd.sheet.Sheet) -> SheetMarks:
    hidden = frozenset(row + 1 for row, info in sheet.rowinfo_map.items() if info.hidden)
    errors: dict[tuple[int, int], str] = {}
    for row in range(sheet.nrows):
        types = sheet.row_types(row)
        if xlrd.XL_CELL_ERROR not in types:
            continue
        for column, kind in enumerate(types):
            if kind == xlrd.XL_CELL_ERROR:
                code = sheet.cell_value(row, column)
                errors[row, column] = xlrd.error_text_from_code.get(code, "#N/A")
    return SheetMarks(hidden, errors)
