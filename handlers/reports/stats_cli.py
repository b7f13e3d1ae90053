"""What `carebot stats` and `carebot report yearly` do, given a context: who asks (an admin
by 工号, or the operator at the server), the access rule, the audit row, and the output."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Literal

from handlers.access import rules as access
from handlers.context import Context
from handlers.reports.ledger import exporter_of
from handlers.reports.stats import default_range, gather, scope_of
from handlers.reports.stats_tables import tables
from handlers.reports.stats_view import as_json, scope_name, summary
from handlers.reports.yearly import yearly_report
from messages.render import render
from storage import audit
from storage.exports.watermark import watermark
from storage.people.queries import find_by_code
from storage.people.roles import roles_of
from storage.reports.stats_xlsx import stats_workbook

Format = Literal["text", "json", "xlsx"]


class Refused(Exception):
    """The message (a template already rendered) says why; nothing was produced."""


@dataclass(frozen=True, slots=True)
class Asker:
    person_id: int | None
    mark: str


async def asker(ctx: Context, code: str | None, *, college: str | None, action: str) -> Asker:
    """The admin named by `code` (checked, audited when refused), or the operator."""
    local = ctx.now.astimezone(ctx.config.tz)
    if code is None:
        operator = render("stats_cli_operator")
        return Asker(None, watermark(name=operator, code="-", at=local).text)
    person = await find_by_code(ctx.session, code)
    if person is None or person.id is None:
        raise Refused(render("stats_no_person", code=code))
    who = exporter_of(
        person, (await roles_of(ctx.session, [person.id])).get(person.id, frozenset())
    )
    if not access.may_see_stats(who.roles, college=college, own_college=who.college):
        detail = f"college={college or '*'}"
        await audit.record(ctx.session, action=f"denied_{action}", at=ctx.now,
                           actor_id=who.person_id, channel="cli", detail=detail)  # fmt: skip
        raise Refused(render("stats_denied"))
    return Asker(who.person_id, watermark(name=who.name, code=who.code, at=local).text)


async def stats_output(
    ctx: Context,
    *,
    by: str | None,
    college: str | None,
    first: date | None,
    last: date | None,
    form: Format,
) -> str | bytes:
    """The statistics as text, JSON or an xlsx workbook's bytes."""
    who = await asker(ctx, by, college=college, action="stats")
    default_first, default_last = default_range(ctx)
    scope = scope_of(ctx, college=college, first=first or default_first, last=last or default_last)
    stats = await gather(ctx, scope)
    await audit.record(ctx.session, action="stats", at=ctx.now, actor_id=who.person_id,
                       channel="cli", detail=f"college={college or '*'} format={form}")  # fmt: skip
    tz = ctx.config.tz
    if form == "json":
        return json.dumps(as_json(stats, tz=tz), ensure_ascii=False, indent=2)
    if form == "xlsx":
        title = render("stats_chart_title", scope=scope_name(college))
        return stats_workbook(tables(stats), title=title, mark=who.mark)
    return summary(stats, tz=tz, wide=college is None)


async def yearly_output(
    ctx: Context, *, by: str | None, college: str, year: int
) -> tuple[bytes, int]:
    """The yearly summary's bytes and how many students it counts."""
    who = await asker(ctx, by, college=college, action="yearly_report")
    data, stats = await yearly_report(ctx, college=college, year=year, mark=who.mark)
    await audit.record(ctx.session, action="yearly_report", at=ctx.now, actor_id=who.person_id,
                       channel="cli", detail=f"college={college} year={year}")  # fmt: skip
    return data, stats.students
