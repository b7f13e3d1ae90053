"""Typed reads from a parsed TOML table that collect problems instead of stopping at the first.

Every reader returns a usable value (the default, or a placeholder when the value is wrong)
and records one Chinese line, `<where>：<what is wrong>` (messages/templates/cli_policy_problem.j2);
the caller discards the result when any problem was recorded, and runs cross-field checks only
on tables that read `clean`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date, datetime, time
from typing import Any, TypeVar

from handlers.policy.model import DateRange, QuietHours
from messages.render import render

T = TypeVar("T", bound=str)

_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_PLACEHOLDER_DAY = date(2000, 1, 1)


def as_day(value: object) -> date | None:
    """A TOML date or a "YYYY-MM-DD" string; None for anything else (datetimes included)."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def as_range(value: object) -> DateRange | None:
    """A [start, end] pair of dates with start <= end; None for anything else."""
    if not isinstance(value, list) or len(value) != 2:
        return None
    start, end = as_day(value[0]), as_day(value[1])
    if start is None or end is None or start > end:
        return None
    return DateRange(start, end)


def as_clock(value: object) -> time | None:
    if isinstance(value, str) and (match := _CLOCK.fullmatch(value)):
        return time(int(match[1]), int(match[2]))
    return None


class Table:
    """One TOML table and where it sits in the file (`rule[2]`, `schedule`)."""

    def __init__(self, data: Mapping[str, object], where: str, problems: list[str]) -> None:
        self.data = data
        self.where = where
        self.problems = problems
        self._seen = len(problems)

    @property
    def clean(self) -> bool:
        """No problem was recorded since this table was opened."""
        return self.clean_since(self._seen)

    def checkpoint(self) -> int:
        return len(self.problems)

    def clean_since(self, checkpoint: int) -> bool:
        return len(self.problems) == checkpoint

    def problem(self, what: str, **context: Any) -> None:
        """Record finding `what` (a branch of cli_policy_problem.j2) about this table."""
        self.problems.append(problem_line(what, where=self.where, **context))

    def allow(self, keys: Collection[str]) -> None:
        for key in self.data:
            if key not in keys:
                self.problem("unknown_key", name=key, expected=list(keys))

    def _get(self, key: str, required: bool) -> object:
        if key not in self.data and required:
            self.problem("required", name=key)
        return self.data.get(key)

    def text(self, key: str, default: str | None = None) -> str:
        value = self._get(key, default is None)
        if value is None:
            return default or ""
        if not isinstance(value, str) or not value.strip():
            self.problem("text", name=key)
            return default or ""
        return value.strip()

    def choice(self, key: str, options: tuple[T, ...], default: T | None = None) -> T:
        value = self._get(key, default is None)
        for option in options:
            if value == option:
                return option
        if value is not None:
            self.problem("choice", name=key, options=_quoted(options), value=_show(value))
        return default if default is not None else options[0]

    def positive_int(self, key: str, default: int | None = None) -> int:
        value = self._get(key, default is None)
        if value is None:
            return default or 1
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.problem("positive_int", name=key)
            return default or 1
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.problem("boolean", name=key)
            return default
        return value

    def day(self, key: str) -> date:
        value = self._get(key, True)
        if value is not None and as_day(value) is None:
            self.problem("day", name=key, value=_show(value))
        return as_day(value) or _PLACEHOLDER_DAY

    def clock(self, key: str, default: time) -> time:
        value = self.data.get(key)
        if value is None:
            return default
        parsed = as_clock(value)
        if parsed is None:
            self.problem("clock", name=key, value=_show(value))
        return parsed or default

    def quiet_hours(self, key: str, default: QuietHours) -> QuietHours:
        value = self.data.get(key)
        if value is None:
            return default
        parts = value.split("-") if isinstance(value, str) else []
        ends = [as_clock(part.strip()) for part in parts]
        if len(ends) != 2 or ends[0] is None or ends[1] is None or ends[0] == ends[1]:
            self.problem("quiet_hours", name=key)
            return default
        return QuietHours(ends[0], ends[1])

    def strings(self, key: str, default: tuple[str, ...] | None = None) -> tuple[str, ...]:
        value = self._get(key, default is None)
        if value is None:
            return default or ()
        if not isinstance(value, list) or not value:
            self.problem("strings", name=key)
            return default or ()
        if not all(isinstance(item, str) and item.strip() for item in value):
            self.problem("strings_only", name=key)
            return default or ()
        return tuple(str(item).strip() for item in value)

    def days(self, key: str) -> tuple[date, ...]:
        value = self.data.get(key, [])
        items = value if isinstance(value, list) else [value]
        days = tuple(as_day(item) for item in items)
        for item, day in zip(items, days, strict=True):
            if day is None:
                self.problem("days", name=key, value=_show(item))
        return tuple(day for day in days if day is not None)

    def ranges(self, key: str) -> tuple[DateRange, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            self.problem("ranges", name=key)
            return ()
        found = []
        for number, item in enumerate(value, 1):
            days = as_range(item)
            if days is None:
                self.problem("range_entry", name=key, number=number, value=_show(item))
                continue
            found.append(days)
        return tuple(sorted(found, key=lambda r: r.start))

    def optional_range(self, key: str) -> DateRange | None:
        """One [start, end] pair, or None when the key is absent or wrong."""
        if key not in self.data:
            return None
        days = as_range(self.data[key])
        if days is None:
            self.problem("range", name=key)
        return days

    def table(self, key: str) -> Table:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            self.problem("table", name=key)
            value = {}
        return Table(value, f"{self.where}.{key}" if self.where else key, self.problems)

    def tables(self, key: str) -> list[Table]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.problem("tables", name=key)
            return []
        return [Table(item, f"{key}[{n}]", self.problems) for n, item in enumerate(value, 1)]


def problem_line(what: str, *, where: str, **context: Any) -> str:
    """One finding in Chinese; `where` is a table (rule[2].cadence), a file, or "" for the
    whole file; `line` and `column` when the file's text is what is wrong."""
    context.setdefault("line", None)
    context.setdefault("column", None)
    return render("cli_policy_problem", what=what, where=where, **context)


def _quoted(options: Collection[str]) -> str:
    return "、".join(f'"{option}"' for option in options)


def _show(value: object) -> str:
    """A value as the TOML file spells it (dates as YYYY-MM-DD, strings quoted)."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    return repr(value)
