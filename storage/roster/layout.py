"""Where the roster is in a sheet's cells: the header row below any title rows, the data rows
that are neither blank nor hidden, and merged ranges filled in, marked or refused."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from storage.roster.book import Span
from storage.roster.names import EXTRAS, column_name
from storage.roster.sheet import CellValue, Issue, Sheet, Ticker, is_blank, is_blank_row, row_ranges
from storage.roster.wording import CELL, NOTE, Wording

HEADER_SEARCH = 10
"""The header is looked for among this many rows that are not blank."""
_LISTED_RANGES = 5  # in a note; more are counted
_TICK = 1000

IGNORED_COLUMNS = Wording(NOTE, "ignored_columns")
HIDDEN_ROWS = Wording(NOTE, "hidden_rows")
MERGED_FILLED = Wording(NOTE, "merged_filled")
MORE_RANGES = Wording(NOTE, "more_ranges")
MERGED_ACROSS = Wording(CELL, "merged_across")


@dataclass
class Layout:
    """What reading did to a sheet's cells, worded once the sheet's label prefix is known."""

    ignored: list[str] = field(default_factory=list)
    hidden: list[int] = field(default_factory=list)
    """Hidden rows below the header that hold data."""
    filled: dict[str, list[str]] = field(default_factory=dict)
    """Column as written in the header → merged ranges whose value was filled down."""
    across: list[tuple[int, int, str, str]] = field(default_factory=list)
    """Ranges merged across columns: (row, column index, column as written, range)."""

    def notes(self, prefix: str) -> list[str]:
        notes = []
        if self.ignored:
            notes.append(IGNORED_COLUMNS.format(columns="、".join(self.ignored)))
        for column, ranges in self.filled.items():
            notes.append(MERGED_FILLED.format(column=column, ranges=_listed(ranges)))
        if self.hidden:
            notes.append(HIDDEN_ROWS.format(rows=row_ranges(self.hidden)))
        return [prefix + note for note in notes]

    def issues(self, sheet: Sheet) -> list[Issue]:
        return [
            sheet.issue(row, column, MERGED_ACROSS.format(range=label), index=index)
            for row, index, column, label in self.across
        ]


def find_header(cells: Sequence[list[CellValue]], keys: Collection[str]) -> int | None:
    """The index of the first row holding a key column among the first rows that are not
    blank (title rows come above it), else of the first such row; None if all are blank."""
    first: int | None = None
    seen = 0
    for index, values in enumerate(cells):
        if is_blank_row(values):
            continue
        if any(column_name(value, keys) in keys for value in values):
            return index
        first = index if first is None else first
        seen += 1
        if seen == HEADER_SEARCH:
            break
    return first


def lay_out(
    sheet: Sheet,
    cells: list[list[CellValue]],
    header: int,
    *,
    ticker: Ticker,
    hidden_rows: Collection[int] = (),
    merged: Sequence[Span] = (),
) -> Layout:
    """Set the sheet's header and data rows from its cells, `header` being the header's index;
    merged ranges in the data are filled down a column, or marked where blank."""
    sheet.header, sheet.header_row = cells[header], header + 1
    names = [column_name(value, EXTRAS) for value in sheet.header]
    layout = Layout(ignored=[name for name in names if name in EXTRAS])
    for index in range(header + 1, len(cells)):
        values, number = cells[index], index + 1
        if is_blank_row(values):
            continue
        if number in hidden_rows:
            layout.hidden.append(number)
            continue
        sheet.rows.append((number, values))
        if len(sheet.rows) % _TICK == 0:
            ticker.advance(_TICK)
    ticker.advance(len(sheet.rows) % _TICK)
    kept = dict(sheet.rows)
    for span in merged:
        _merge(sheet, layout, span, names=names, kept=kept, cells=cells)
    return layout


def _merge(
    sheet: Sheet,
    layout: Layout,
    span: Span,
    *,
    names: list[str | None],
    kept: dict[int, list[CellValue]],
    cells: list[list[CellValue]],
) -> None:
    """One merged range: only its cells in data rows and named columns matter."""
    (top, left), (bottom, right) = span
    columns = [c for c in range(left, min(right + 1, len(names))) if _named(names[c])]
    rows = [row for row in range(top + 1, bottom + 2) if row in kept]
    if top < sheet.header_row or not columns or not rows:
        return
    label = f"{_letters(left)}{top + 1}:{_letters(right)}{bottom + 1}"
    if left != right:
        layout.across.append((rows[0], columns[0], str(names[columns[0]]), label))
        return
    value = cells[top][left] if top < len(cells) and left < len(cells[top]) else None
    for row in rows:
        values = kept[row]
        if is_blank(value):
            sheet.merged[(row, left)] = label
            continue
        values.extend([None] * (left + 1 - len(values)))
        values[left] = value
    if not is_blank(value) and rows != [top + 1]:
        layout.filled.setdefault(str(names[left]), []).append(label)


def _named(name: str | None) -> bool:
    """A column the roster reads: named in the header, and not one of the ignored extras."""
    return name is not None and name not in EXTRAS


def _listed(ranges: list[str]) -> str:
    shown = "、".join(ranges[:_LISTED_RANGES])
    if len(ranges) <= _LISTED_RANGES:
        return shown
    return MORE_RANGES.format(ranges=shown, count=len(ranges))


def _letters(column: int) -> str:
    """A column's letters as Excel shows them: 0 → A, 26 → AA."""
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
