"""Workbooks (.xlsx, .xlsm, .xls, .xlsb, .ods) read with python-calamine: each sheet's name and
visibility, and a sheet's cells as a grid from A1 with its merged ranges.

Calamine reads values only. For .xlsx and .xlsm, storage.roster.xlsx_scan adds the hidden rows
and the formula errors, for .xls storage.roster.xls_scan (xlrd); in .xlsb and .ods no row is
hidden, an error reads as blank, and there are no merged ranges.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import cast

from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum

from storage.roster.sheet import CellValue
from storage.roster.xls_scan import scan_xls
from storage.roster.xlsx_scan import ScanError, SheetMarks, scan_sheets

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})
_SCANNED = frozenset({".xlsx", ".xlsm"})

Span = tuple[tuple[int, int], tuple[int, int]]
"""A merged range: (first row, first column), (last row, last column), all from 0."""


class BookError(Exception):
    """The file is not a workbook that can be read."""


@dataclass(frozen=True)
class Grid:
    cells: list[list[CellValue]]
    """cells[r][c] is the cell in row r + 1, column c (A is 0); a formula error as its text."""
    merged: list[Span]
    hidden_rows: frozenset[int]
    """Row numbers as Excel shows them."""


@dataclass(frozen=True)
class BookSheet:
    name: str
    visible: bool
    """False for a hidden or very hidden sheet."""


class Book:
    """An open workbook; use as a context manager."""

    def __init__(self, path: Path) -> None:
        try:
            self._book = CalamineWorkbook.from_path(path)
        except (CalamineError, OSError) as exc:
            raise BookError(str(exc)) from exc
        self._path = path
        self.sheets = [
            BookSheet(meta.name, meta.visible == SheetVisibleEnum.Visible)
            for meta in self._book.sheets_metadata
        ]

    def __enter__(self) -> Book:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._book.close()

    def grids(self, names: list[str]) -> dict[str, Grid]:
        """The named sheets' cells, merged ranges and hidden rows."""
        try:
            suffix = self._path.suffix.lower()
            if suffix in _SCANNED:
                marks = scan_sheets(self._path, names)
            elif suffix == ".xls":
                marks = scan_xls(self._path, names)
            else:
                marks = {}
            return {name: self._grid(name, marks.get(name)) for name in names}
        except (CalamineError, ScanError) as exc:
            raise BookError(str(exc)) from exc

    def _grid(self, name: str, marks: SheetMarks | None) -> Grid:
        sheet = self._book.get_sheet_by_name(name)
        cells = cast(list[list[CellValue]], sheet.to_python(skip_empty_area=False))
        merged = sheet.merged_cell_ranges or []
        if marks is None:
            return Grid(cells, merged, frozenset())
        for (row, column), error in marks.errors.items():
            while len(cells) <= row:
                cells.append([])
            values = cells[row]
            values.extend([""] * (column + 1 - len(values)))
            values[column] = error
        return Grid(cells, merged, marks.hidden_rows)
