"""The statistics as a reader sees them: the text summary, the main chart and the JSON, with
the small-group rule applied wherever a figure lies outside the reader's own scope."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from messages.render import render
from storage.exports.charts import bar_chart
from storage.reports.stats_model import Stats, plotted, shown

OVERDUE_SHOWN = 5


def percent(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "—"


def scope_name(college: str | None) -> str:
    return college or render("stats_school")


def days(stats: Stats, tz: ZoneInfo) -> tuple[str, str]:
    scope = stats.scope
    first = scope.start.astimezone(tz).date()
    last = (scope.end - timedelta(microseconds=1)).astimezone(tz).date()
    return first.isoformat(), last.isoformat()


def colleges_seen(stats: Stats, *, own: str | None) -> list[tuple[str, int | str]]:
    """Students per college; a college admin (own set) sees other colleges' small groups as <3."""
    return [
        (college or "—", shown(count, outside_scope=own is not None and college != own))
        for college, count in stats.college_totals.items()
    ]


def summary(stats: Stats, *, tz: ZoneInfo, own: str | None = None, wide: bool = False) -> str:
    """The text summary; `wide`: the per-college comparison is included (from `own`'s view)."""
    first, last = days(stats, tz)
    colleges = colleges_seen(stats, own=own) if wide else []
    coverage = [
        {"title": c.title, "cadence": c.cadence, "met": c.met, "students": c.students,
         "share": percent(c.met, c.students)}
        for c in stats.coverage
    ]  # fmt: skip
    hours = stats.alerts.mean_hours
    return render(
        "stats_summary",
        scope=scope_name(stats.scope.college),
        first=first,
        last=last,
        students=stats.students,
        key_attention=stats.key_attention,
        categories=list(stats.by_category.items()),
        colleges=colleges,
        suppressed=any(isinstance(count, str) for _, count in colleges),
        complete=stats.complete_teams,
        complete_share=percent(stats.complete_teams, stats.students),
        coverage=coverage,
        overdue=stats.overdue[:OVERDUE_SHOWN],
        more_overdue=len(stats.overdue) > OVERDUE_SHOWN,
        overdue_people=len(stats.overdue),
        assessed=sum(stats.effects.values()),
        effects=[(name, count) for name, count in stats.effects.items() if count],
        alerts=stats.alerts,
        hours=None if hours is None else f"{hours:.1f}",
        aid=stats.aid,
        aid_total=sum(stats.aid.values()),
        aid_students=stats.aid_students,
        notices=stats.notices,
        reached=stats.notice_recipients,
        read=stats.notice_read,
        receipts_asked=stats.receipts_asked,
        receipts_given=stats.receipts_given,
        year=stats.graduating_year,
        graduating=stats.graduating,
        answered=stats.intention_answered,
        intention=sorted(stats.intention.items(), key=lambda item: -item[1]),
        applicants=stats.job_applicants,
    )


def category_chart(stats: Stats, *, outside_scope: bool) -> bytes:
    """The main chart: students per category (small groups hidden when outside scope)."""
    labels = list(stats.by_category)
    values = [plotted(n, outside_scope=outside_scope) for n in stats.by_category.values()]
    title = render("stats_chart_title", scope=scope_name(stats.scope.college))
    return bar_chart(title=title, labels=labels, values=values)


def as_json(stats: Stats, *, tz: ZoneInfo) -> dict[str, Any]:
    """Every figure as plain JSON (the CLI's --format json; admins only, exact counts)."""
    first, last = days(stats, tz)
    alerts = stats.alerts
    return {
        "scope": {"college": stats.scope.college, "from": first, "to": last},
        "students": stats.students,
        "key_attention": stats.key_attention,
        "by_category": stats.by_category,
        "by_college": stats.by_college,
        "college_totals": stats.college_totals,
        "complete_teams": stats.complete_teams,
        "coverage": [
            {
                "rule": c.rule_id,
                "title": c.title,
                "cadence": c.cadence,
                "students": c.students,
                "met": c.met,
                "share": round(c.share, 4),
            }
            for c in stats.coverage
        ],
        "overdue": [
            {"person": o.person, "items": o.items, "students": o.students} for o in stats.overdue
        ],
        "effects": stats.effects,
        "effect_trend": stats.effect_trend,
        "alerts": {
            "opened": alerts.opened,
            "handled": alerts.handled,
            "mean_hours": alerts.mean_hours,
            "max_hours": alerts.max_hours,
        },
        "aid": {"applications": stats.aid, "students": stats.aid_students},
        "notices": {
            "sent": stats.notices,
            "reached": stats.notice_recipients,
            "read": stats.notice_read,
            "receipts_asked": stats.receipts_asked,
            "receipts_given": stats.receipts_given,
        },
        "graduating": {
            "year": stats.graduating_year,
            "students": stats.graduating,
            "intention": stats.intention,
            "answered": stats.intention_answered,
            "job_applicants": stats.job_applicants,
            "job_applications": stats.job_applications,
        },
    }
