"""What a roster file reads into: sheets of raw rows, and issues pinned to a row and column."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from storage.models import PersonKind
from storage.roster.wording import PLACE, Wording

CellValue = str | int | float | bool | datetime | date | time | timedelta | None
"""A cell as read: a workbook's typed value (a formula error as its text, e.g. "#N/A"; a
blank cell as "" or None) or a CSV field."""

Progress = Callable[[int, int], None]
"""Called with (rows done, rows in total); total is 0 while it is still unknown."""
ROW = Wording(PLACE, "row")
COLUMN_AT = Wording(PLACE, "column")
ROWS_TOTAL = Wording(PLACE, "rows_total")


def is_blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def is_blank_row(values: list[CellValue]) -> bool:
    return all(is_blank(value) for value in values)


@dataclass(frozen=True, order=True)
class Issue:
    """One problem, sorted by where it is: file, sheet, row (0 = the whole file), column."""

    source: int
    sheet: int
    row: int
    column: int
    text: str = field(compare=False)


@dataclass
class Sheet:
    """One sheet of one file (a CSV file is one sheet): header cells and data rows."""

    source: int
    label: str
    kind: PersonKind
    header: list[CellValue]
    rows: list[tuple[int, list[CellValue]]]
    position: int = 0
    prefix: str = ""
    title: str = ""
    """The sheet's name in its workbook, as written; empty for a CSV file."""
    columns: dict[str, int] = field(default_factory=dict)
    header_row: int = 1
    """The header's row number in the sheet: title rows above it are skipped."""
    notes: list[str] = field(default_factory=list)
    """Warnings for the admin (merged cells filled, hidden rows skipped…), already worded."""
    merged: dict[tuple[int, int], str] = field(default_factory=dict)
    """(row number, column index) → range such as "F3:F12", for blank cells of a merged range."""

    def issue(self, row: int, column: str, reason: str, *, index: int | None = None) -> Issue:
        """An issue worded `第N行 列名: 原因`, prefixed with the sheet when there are several."""
        at = self.columns.get(column, -1) if index is None else index
        text = f"{self.where(row)} {column}: {reason}"
        return Issue(self.source, self.position, row, at, text)

    def cell_issue(self, row: int, index: int, reason: str) -> Issue:
        """An issue about a column that has no usable name, addressed by its position."""
        return self.issue(row, COLUMN_AT.format(number=index + 1), reason, index=index)

    def where(self, row: int) -> str:
        return self.prefix + ROW.format(row=row)


class Ticker:
    """Reports progress through an optional callback, in rows, over read and write phases."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self.done = 0
        self.total = 0

    def expect(self, total: int) -> None:
        self.total = total
        self._report()

    def advance(self, rows: int) -> None:
        self.done += rows
        self._report()

    def finish(self) -> None:
        self.total = max(self.total, self.done)
        self.done = self.total
        self._report()

    def _report(self) -> None:
        if self._progress is not None:
            self._progress(self.done, max(self.total, self.done) if self.total else 0)


@dataclass(frozen=True)
class Source:
    """One file as read: every sheet it holds (a CSV file is one) with the data rows read from
    it, or None for a sheet passed over because its name is not a roster sheet's."""

    name: str
    sheets: tuple[tuple[str, int | None], ...]
    workbook: bool
    many: bool = False
    """One of several files: sheets are labelled with the file's name."""
    notes: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return sum(rows or 0 for _, rows in self.sheets)

    @property
    def read(self) -> list[tuple[str, int]]:
        return [(self._label(name), rows) for name, rows in self.sheets if rows is not None]

    @property
    def ignored(self) -> list[str]:
        return [self._label(name) for name, rows in self.sheets if rows is None]

    def _label(self, sheet: str) -> str:
        return f"{self.name} {sheet}" if self.many and self.workbook else sheet


def row_ranges(rows: Iterable[int]) -> str:
    """Row numbers as ranges: 3-40、45、50-52."""
    ordered = sorted(set(rows))
    parts: list[str] = []
    start = previous = ordered[0]
    for row in [*ordered[1:], None]:
        if row is not None and row == previous + 1:
            previous = row
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if row is not None:
            start = previous = row
    return "、".join(parts)
