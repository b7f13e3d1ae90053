"""The statistics as tables (the xlsx of `carebot stats` and the yearly summary's Word
tables): one header and rows each, headers from templates, the small-group rule applied."""

from __future__ import annotations

from collections.abc import Sequence

from messages.render import render
from storage.reports.stats_model import Cell, Coverage, Stats, Table, shown


def _table(key: str, rows: Sequence[Sequence[Cell]], *, extra: list[str] | None = None) -> Table:
    head = render("stats_table_head", table=key).split("|") + (extra or [])
    return Table(key, render("stats_table_title", table=key), head, [list(row) for row in rows])


NOT_SHOWN = "—"


def tables(stats: Stats, *, own: str | None = None, everywhere: bool = False) -> list[Table]:
    """Every table; a count of students is hidden below three where the reader is outside its
    scope: everywhere (a report that leaves the college), or in other colleges than `own`."""

    def outside(college: str | None) -> bool:
        return everywhere or (own is not None and college != own)

    mine = outside(stats.scope.college)
    categories = [[name, shown(n, outside_scope=mine)] for name, n in stats.by_category.items()]
    colleges = [
        [college or "—", shown(n, outside_scope=outside(college))]
        for college, n in stats.college_totals.items()
    ]
    coverage = [
        [c.title, c.cadence, c.students, shown(c.met, outside_scope=mine), share(c, hidden=mine)]
        for c in stats.coverage
    ]
    overdue = [[o.person, o.items, shown(o.students, outside_scope=mine)] for o in stats.overdue]
    scale = list(stats.effects)
    trend: list[list[Cell]] = [
        [month, *(counts[e] for e in scale)] for month, counts in stats.effect_trend.items()
    ]
    intention = [[k, shown(n, outside_scope=mine)] for k, n in sorted(stats.intention.items())]
    return [
        _table("category", categories),
        _table("college", colleges),
        _table("coverage", coverage),
        _table("overdue", overdue),
        _table("effects", trend, extra=scale),
        _table("intention", intention),
        _table("work", work_rows(stats, hidden=mine)),
    ]


def share(coverage: Coverage, *, hidden: bool) -> str:
    """The share met; not shown when the count met is hidden (it would give the count away)."""
    if isinstance(shown(coverage.met, outside_scope=hidden), str):
        return NOT_SHOWN
    return f"{coverage.share:.0%}"


def work_rows(stats: Stats, *, hidden: bool = False) -> list[list[Cell]]:
    """The remaining figures; the counts of students among them hidden below three if `hidden`."""

    def people(count: int) -> int | str:
        return shown(count, outside_scope=hidden)

    hours = stats.alerts.mean_hours
    said = render(
        "stats_work_rows",
        s=stats,
        people=people,
        hours="—" if hours is None else f"{hours:.1f}",
        aid_total=sum(stats.aid.values()),
    )
    rows: list[list[Cell]] = []
    for line in said.splitlines():
        label, _, value = line.partition("|")
        rows.append([label, value])
    return rows
