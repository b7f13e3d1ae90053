"""The figures of the statistics (统计, `carebot stats`, the yearly summary) as plain data,
and the small-group rule that hides counts below three outside an admin's own scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

Cell = str | int | float
SMALL_GROUP = 3
"""Counts of fewer students than this are not shown outside the reader's own scope."""
SUPPRESSED = "<3"


def shown(count: int, *, outside_scope: bool) -> int | str:
    """A count of students as a table or chart may show it: below SMALL_GROUP (but not 0)
    it becomes "<3" where the reader is outside the scope it describes."""
    if outside_scope and 0 < count < SMALL_GROUP:
        return SUPPRESSED
    return count


def plotted(count: int, *, outside_scope: bool) -> int | None:
    """A count as a chart draws it: a suppressed one is not drawn (None), never its value."""
    value = shown(count, outside_scope=outside_scope)
    return value if isinstance(value, int) else None


@dataclass(frozen=True, slots=True)
class StatsScope:
    """What the statistics cover: [start, end) and one college or the school (None)."""

    start: datetime
    end: datetime
    college: str | None
    as_of: datetime
    """The moment coverage is measured at (now, or the range's end if that is earlier)."""


@dataclass(frozen=True, slots=True)
class Coverage:
    """How many students the rule wants contacted, and how many are (rule id and title
    from the policy; `cadence` as the policy says it, e.g. 15 天一次, 每月 2 次)."""

    rule_id: str
    title: str
    cadence: str
    students: int
    met: int

    @property
    def share(self) -> float:
        return self.met / self.students if self.students else 0.0


@dataclass(frozen=True, slots=True)
class Overdue:
    person: str
    items: int
    students: int


@dataclass(frozen=True, slots=True)
class Alerts:
    opened: int
    handled: int
    mean_hours: float | None
    """Mean time from raising to acknowledging, for the handled ones."""
    max_hours: float | None


@dataclass
class Stats:
    scope: StatsScope
    students: int = 0
    key_attention: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    """Category name → students (each once), in the categories' order."""
    by_college: dict[str, dict[str, int]] = field(default_factory=dict)
    """College → category name → students."""
    college_totals: dict[str, int] = field(default_factory=dict)
    """College → students, over the whole school (the comparison between colleges)."""
    complete_teams: int = 0
    coverage: list[Coverage] = field(default_factory=list)
    overdue: list[Overdue] = field(default_factory=list)
    effects: dict[str, int] = field(default_factory=dict)
    """Effect → assessments in the range, in the scale's order."""
    effect_trend: dict[str, dict[str, int]] = field(default_factory=dict)
    """Month (YYYY-MM) → effect → assessments."""
    alerts: Alerts = field(default_factory=lambda: Alerts(0, 0, None, None))
    aid: dict[str, int] = field(default_factory=dict)
    """Status (pending / approved / declined) → applications made in the range."""
    aid_students: int = 0
    notices: int = 0
    notice_recipients: int = 0
    notice_read: int = 0
    receipts_asked: int = 0
    receipts_given: int = 0
    graduating_year: int = 0
    graduating: int = 0
    intention: dict[str, int] = field(default_factory=dict)
    """Employment intention (就业意向 survey) → graduating special students."""
    intention_answered: int = 0
    job_applicants: int = 0
    job_applications: int = 0


@dataclass(frozen=True, slots=True)
class Table:
    """One table of the statistics as the files show it (xlsx sheet, Word table)."""

    key: str
    title: str
    head: list[str]
    rows: list[list[Cell]]
