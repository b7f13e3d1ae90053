"""Turning a sheet's header and rows into records, with an issue for every bad cell."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from storage.models import PersonKind
from storage.roster.fields import (
    COLUMNS,
    MERGED_BLANK,
    MISSING,
    NOT_CLEARABLE,
    ROLE_NAMES,
    SEPARATORS,
    STUDENT_ROLE_NAMES,
    STUDENT_ROLES,
    Column,
    Invalid,
    Slot,
    is_clear,
)
from storage.roster.sheet import CellValue, Issue, Sheet, Ticker
from storage.roster.wording import CELL, Wording

UNKNOWN_CATEGORY = Wording(CELL, "unknown_category")
UNKNOWN_ROLE = Wording(CELL, "unknown_role")
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


def build_records(
    sheet: Sheet, categories: Mapping[str, str], ticker: Ticker, *, today: date
) -> tuple[list[Record], list[Issue]]:
    """A record per row that has a key; issues for every cell that cannot be read. A blank
    cell leaves the stored value alone; （清空） clears it."""
    present = [(c, sheet.columns[c.name]) for c in COLUMNS[sheet.kind] if c.name in sheet.columns]
    records: list[Record] = []
    issues: list[Issue] = []
    for count, (number, values) in enumerate(sheet.rows, start=1):
        record = Record(sheet, number)
        for column, index in present:
            raw = values[index] if index < len(values) else None
            try:
                value = _read(column, raw, sheet.merged.get((number, index)))
                if value is not _SILENT:
                    if column.check and (problem := column.check(value, today)):
                        raise Invalid(problem)
                    _assign(record, column, value, categories)
            except Invalid as exc:
                issues.extend(record.issue(column.name, reason) for reason in exc.reasons)
        if record.code:
            records.append(record)
        if count % _TICK == 0:
            ticker.advance(_TICK)
    ticker.advance(len(sheet.rows) % _TICK)
    return records, issues


_SILENT = object()
"""A blank cell: the file says nothing about this field."""


def _read(column: Column, raw: CellValue, merged: str | None) -> object:
    if raw is None or (type(raw) is str and not raw.strip()):
        if column.required:
            raise Invalid(str(MISSING) if merged is None else MERGED_BLANK.format(range=merged))
        return _SILENT
    if is_clear(raw):
        if column.required:
            raise Invalid(str(NOT_CLEARABLE))
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
        known = STUDENT_ROLE_NAMES if column.key == STUDENT_ROLES else ROLE_NAMES
        record.roles = _lookup(value, known, UNKNOWN_ROLE)
        if not record.roles and column.required:
            raise Invalid(str(MISSING))


def _lookup(value: object, known: Mapping[str, str], unknown: Wording) -> frozenset[str]:
    assert isinstance(value, tuple)
    missing = "".join(f"「{name}」" for name in value if name not in known)
    if missing:
        choices = "、".join(known)
        raise Invalid(
            unknown.format(values=missing, known=choices, separators=" ".join(SEPARATORS))
        )
    return frozenset(known[name] for name in value)
