"""Turning a sheet's header and rows into records, with an issue for every bad cell."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from storage.models import PersonKind
from storage.roster_fields import COLUMNS, MISSING, ROLE_NAMES, Column, Invalid, Slot
from storage.roster_sheet import HEADER_ROW, Issue, Sheet, Ticker
from storage.roster_source import column_name, is_blank
from storage.roster_xlsx import CellValue

UNKNOWN_COLUMN = "未知的列名，请与模板核对（列名中不能有空格）"
DUPLICATE_COLUMN = "列名重复"
MISSING_COLUMN = "缺少必填列"
UNNAMED_COLUMN = "该列有数据但没有列名"
UNKNOWN_CATEGORY = "未知类别「{value}」"
UNKNOWN_ROLE = "未知角色「{value}」"
_TICK = 1000


@dataclass
class Record:
    """One person as the file describes them; None or a missing key = the file is silent."""

    sheet: Sheet
    row: int
    code: str = ""
    fields: dict[str, object] = field(default_factory=dict)
    roles: frozenset[str] | None = None
    categories: frozenset[str] | None = None
    team: dict[str, str | None] = field(default_factory=dict)
    accounts: dict[str, str | None] = field(default_factory=dict)

    @property
    def kind(self) -> PersonKind:
        return self.sheet.kind

    def issue(self, column: str, reason: str) -> Issue:
        return self.sheet.issue(self.row, column, reason)


def check_header(sheet: Sheet) -> list[Issue]:
    """Map column names to positions; unknown, repeated and missing columns are issues."""
    known = {column.name: column for column in COLUMNS[sheet.kind]}
    issues: list[Issue] = []
    for index, value in enumerate(sheet.header):
        name = column_name(value)
        if name is None:
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


def _header_issue(sheet: Sheet, index: int, name: str, reason: str) -> Issue:
    return sheet.issue(HEADER_ROW, name, reason, index=index)


def _unnamed_data(sheet: Sheet) -> list[Issue]:
    """Data under a column without a name would be dropped silently: say where it starts."""
    named = {index for index, value in enumerate(sheet.header) if column_name(value)}
    found: dict[int, int] = {}
    for number, values in sheet.rows:
        for index, value in enumerate(values):
            if index not in named and index not in found and not is_blank(value):
                found[index] = number
    return [sheet.cell_issue(row, index, UNNAMED_COLUMN) for index, row in found.items()]


def build_records(
    sheet: Sheet, categories: Mapping[str, str], ticker: Ticker
) -> tuple[list[Record], list[Issue]]:
    """A record per row that has a key; issues for every cell that cannot be read."""
    present = [(c, sheet.columns[c.name]) for c in COLUMNS[sheet.kind] if c.name in sheet.columns]
    records: list[Record] = []
    issues: list[Issue] = []
    for count, (number, values) in enumerate(sheet.rows, start=1):
        record = Record(sheet, number)
        for column, index in present:
            raw = values[index] if index < len(values) else None
            try:
                _assign(record, column, _read(column, raw), categories)
            except Invalid as exc:
                issues.extend(record.issue(column.name, reason) for reason in exc.reasons)
        if record.code:
            records.append(record)
        if count % _TICK == 0:
            ticker.advance(_TICK)
    ticker.advance(len(sheet.rows) % _TICK)
    return records, issues


def _read(column: Column, raw: CellValue) -> object:
    if raw is None or (type(raw) is str and not raw.strip()):
        if column.required:
            raise Invalid(MISSING)
        return column.empty
    return column.parse(raw)


def _assign(record: Record, column: Column, value: object, categories: Mapping[str, str]) -> None:
    if column.slot is Slot.CODE:
        record.code = str(value)
    elif column.slot is Slot.FIELD:
        record.fields[column.key] = value
    elif column.slot is Slot.TEAM:
        record.team[column.key] = value if isinstance(value, str) else None
    elif column.slot is Slot.ACCOUNT:
        record.accounts[column.key] = value if isinstance(value, str) else None
    elif column.slot is Slot.CATEGORIES:
        record.categories = _lookup(value, categories, UNKNOWN_CATEGORY)
    else:
        record.roles = _lookup(value, ROLE_NAMES, UNKNOWN_ROLE)
        if not record.roles and column.required:
            raise Invalid(MISSING)


def _lookup(value: object, known: Mapping[str, str], unknown: str) -> frozenset[str]:
    assert isinstance(value, tuple)
    missing = [unknown.format(value=name) for name in value if name not in known]
    if missing:
        raise Invalid(*missing)
    return frozenset(known[name] for name in value)
