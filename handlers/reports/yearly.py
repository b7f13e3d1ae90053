"""The yearly summary a college writes (seed 000 §四.3: 统计、分析和总结): the statistics of
the calendar year as tables and charts, and a short generated text per area, ready to edit.
The file leaves the college, so every count of students below three is shown as "<3"."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

from handlers.context import Context
from handlers.reports.stats import gather, scope_of
from handlers.reports.stats_tables import share, tables
from handlers.reports.stats_view import days, percent
from messages.render import render
from storage.exports.charts import bar_chart, trend_chart
from storage.exports.yearly_docx import Chart, Section, yearly_docx
from storage.reports.stats_model import Coverage, Stats, Table, plotted, shown

IMPROVED = 2  # the first two effects of the scale (明显好转, 有所改善) count as improvement


async def yearly_report(ctx: Context, *, college: str, year: int, mark: str) -> tuple[bytes, Stats]:
    """The document's bytes and the figures it holds; drawing and writing run off the loop."""
    scope = scope_of(ctx, college=college, first=date(year, 1, 1), last=date(year, 12, 31))
    stats = await gather(ctx, scope, graduating=year)
    data = await asyncio.to_thread(_document, stats, year=year, mark=mark, ctx=ctx)
    return data, stats


def _document(stats: Stats, *, year: int, mark: str, ctx: Context) -> bytes:
    first, last = days(stats, ctx.config.tz)
    college = stats.scope.college or ""
    found = {table.key: table for table in tables(stats, everywhere=True)}
    return yearly_docx(
        title=render("yearly_title", college=college, year=year),
        subtitle=render("yearly_subtitle", first=first, last=last),
        mark=mark,
        sections=_sections(stats, found, as_of=stats.scope.as_of, ctx=ctx),
    )


def _sections(
    stats: Stats, found: dict[str, Table], *, as_of: datetime, ctx: Context
) -> list[Section]:
    charts = _charts(stats)
    return [
        Section(_heading("overview"), [_overview(stats)],
                [found["category"], found["college"]], [charts[0]]),
        Section(_heading("contact"), [_contact(stats, as_of=as_of, ctx=ctx)],
                [found["coverage"], found["overdue"]], [charts[1]]),
        Section(_heading("effects"), [_effects(stats)], [found["effects"]], [charts[2]]),
        Section(_heading("safety"), [_safety(stats)]),
        Section(_heading("aid"), [_aid(stats)], [found["work"]]),
        Section(_heading("careers"), [_careers(stats)], [found["intention"]]),
        Section(_heading("summary"), [render("yearly_summary")]),
    ]  # fmt: skip


def _heading(area: str) -> str:
    return render("yearly_heading", area=area)


def _hidden(count: int) -> int | str:
    return shown(count, outside_scope=True)


def _overview(stats: Stats) -> str:
    return render(
        "yearly_overview",
        students=_hidden(stats.students),
        categories=[(name, _hidden(n)) for name, n in stats.by_category.items()],
        key_attention=_hidden(stats.key_attention),
        complete=_hidden(stats.complete_teams),
        complete_share=percent(stats.complete_teams, stats.students),
    )


def _contact(stats: Stats, *, as_of: datetime, ctx: Context) -> str:
    coverage = [
        {"title": c.title, "cadence": c.cadence, "share": share(c, hidden=True),
         "students": _hidden(c.students), "met": _hidden(c.met)}
        for c in stats.coverage
    ]  # fmt: skip
    return render(
        "yearly_contact",
        coverage=coverage,
        as_of=as_of.astimezone(ctx.config.tz).date().isoformat(),
        overdue=sum(o.items for o in stats.overdue),
        people=len(stats.overdue),
    )


def _effects(stats: Stats) -> str:
    assessed = sum(stats.effects.values())
    improved = sum(list(stats.effects.values())[:IMPROVED])
    effects = [(name, n) for name, n in stats.effects.items() if n]
    return render(
        "yearly_effects", assessed=assessed, effects=effects, improved=percent(improved, assessed)
    )


def _safety(stats: Stats) -> str:
    alerts = stats.alerts
    hours = None if alerts.mean_hours is None else f"{alerts.mean_hours:.1f}"
    longest = None if alerts.max_hours is None else f"{alerts.max_hours:.1f}"
    return render(
        "yearly_safety", opened=alerts.opened, handled=alerts.handled, hours=hours, longest=longest
    )


def _aid(stats: Stats) -> str:
    return render(
        "yearly_aid",
        total=sum(stats.aid.values()),
        students=_hidden(stats.aid_students),
        approved=stats.aid.get("approved", 0),
        declined=stats.aid.get("declined", 0),
        pending=stats.aid.get("pending", 0),
        notices=stats.notices,
        reached=stats.notice_recipients,
        asked=stats.receipts_asked,
        given=stats.receipts_given,
        receipt_share=percent(stats.receipts_given, stats.receipts_asked),
    )


def _careers(stats: Stats) -> str:
    return render(
        "yearly_careers",
        year=stats.graduating_year,
        graduating=_hidden(stats.graduating),
        answered=_hidden(stats.intention_answered),
        intention=[(k, _hidden(n)) for k, n in sorted(stats.intention.items())],
        applicants=_hidden(stats.job_applicants),
    )


def _share_shown(coverage: Coverage) -> int | None:
    return (
        None if plotted(coverage.met, outside_scope=True) is None else round(coverage.share * 100)
    )


def _charts(stats: Stats) -> list[Chart]:
    titles = [render("yearly_chart", chart=key) for key in ("category", "coverage", "effects")]
    category = bar_chart(
        title=titles[0],
        labels=list(stats.by_category),
        values=[plotted(n, outside_scope=True) for n in stats.by_category.values()],
    )
    coverage = bar_chart(
        title=titles[1],
        labels=[c.title for c in stats.coverage],
        values=[_share_shown(c) for c in stats.coverage],
        unit="%",
    )
    months = list(stats.effect_trend)
    series = {e: [stats.effect_trend[m][e] for m in months] for e in stats.effects}
    effects = trend_chart(title=titles[2], months=months, series=series)
    return [
        Chart(png, render("yearly_caption", number=n, title=title))
        for n, (png, title) in enumerate(
            zip((category, coverage, effects), titles, strict=True), start=1
        )
    ]
