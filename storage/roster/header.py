"""A sheet's header row: column names mapped to positions, with an issue for every bad name."""

from __future__ import annotations

from storage.roster.fields import COLUMNS
from storage.roster.names import EXTRAS, column_name
from storage.roster.sheet import Issue, Sheet, is_blank
from storage.roster.wording import COLUMN, Wording

UNKNOWN_COLUMN = Wording(COLUMN, "unknown")
DUPLICATE_COLUMN = Wording(COLUMN, "duplicate")
MISSING_COLUMN = Wording(COLUMN, "missing")
UNNAMED_COLUMN = Wording(COLUMN, "unnamed")


def check_header(sheet: Sheet) -> list[Issue]:
    """Map column names to positions; unknown, repeated and missing columns are issues, and
    the harmless extras (序号, 备注, 说明) are passed over."""
    known = {column.name: column for column in COLUMNS[sheet.kind]}
    names = (*known, *EXTRAS)
    issues: list[Issue] = []
    for index, value in enumerate(sheet.header):
        name = column_name(value, names)
        if name is None or name in EXTRAS:
            continue
        if name in sheet.columns:
            issues.append(_header_issue(sheet, index, name, DUPLICATE_COLUMN))
        elif name not in known:
            issues.append(_header_issue(sheet, index, name, UNKNOWN_COLUMN))
        else:
            sheet.columns[name] = index
    for column in known.values():
        if column.required and column.name not in sheet.columns:
            issues.append(_header_issue(sheet, -1, column.name, MISSING_COLUMN))
    return issues + _unnamed_data(sheet)


def _header_issue(sheet: Sheet, index: int, name: str, reason: Wording) -> Issue:
    return sheet.issue(sheet.header_row, name, str(reason), index=index)


def _unnamed_data(sheet: Sheet) -> list[Issue]:
    """Data under a column without a name would be dropped silently: say where it starts."""
    named = {index for index, value in enumerate(sheet.header) if column_name(value)}
    found: dict[int, int] = {}
    for number, values in sheet.rows:
        for index, value in enumerate(values):
            if index not in named and index not in found and not is_blank(value):
                found[index] = number
    return [sheet.cell_issue(row, index, str(UNNAMED_COLUMN)) for index, row in found.items()]
