"""`统计 [学院]`: the statistics for admins in chat. The callback only checks and stores the
request (WeCom waits 5 s at most); the work runner gathers the figures on the reader and
sends the summary and the main chart as an image."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import select

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.context import Context
from handlers.envelopes import Inbound, Outbound, image, text
from handlers.reports.ledger import stored_exporter
from handlers.reports.stats import default_range, gather, scope_of
from handlers.reports.stats_commands import STATS
from handlers.reports.stats_view import category_chart, scope_name, summary
from messages.render import render
from storage import audit, work
from storage.models import Person


async def ask_stats(inbound: Inbound, who: Identity, ctx: Context, args: str) -> list[Outbound]:
    own = who.person.college
    college = access.stats_college(who.roles, asked=args.strip() or None, own_college=own)
    if not access.may_see_stats(who.roles, college=college, own_college=own):
        return await _denied(ctx, who.person_id, college=college, channel=inbound.channel)
    if college is not None and not await _college_exists(ctx, college):
        return [text(render("stats_unknown_college", college=college, example=own or ""))]
    wanted = {"college": college, "channel": inbound.channel}
    await work.request(
        ctx.session, kind=STATS, requested_by=who.person_id, args=wanted, now=ctx.now
    )
    return [text(render("stats_queued", scope=scope_name(college)))]


async def stats_now(ctx: Context, args: dict[str, Any], requested_by: int | None) -> list[Outbound]:
    """The work 统计 asked for: the summary and the chart, to the admin who asked (whose
    roles are checked again: they may have changed since)."""
    college, channel = args.get("college"), args.get("channel")
    asker = await stored_exporter(ctx, requested_by)
    if asker is None or not access.may_see_stats(
        asker.roles, college=college, own_college=asker.college
    ):
        return await _denied(ctx, requested_by, college=college, channel=channel)
    first, last = default_range(ctx)
    stats = await gather(ctx, scope_of(ctx, college=college, first=first, last=last))
    # Drawing takes a tenth of a second or more: not on the event loop.
    chart = await asyncio.to_thread(category_chart, stats, outside_scope=False)
    await audit.record(
        ctx.session, action="stats", at=ctx.now, actor_id=asker.person_id, channel=channel,
        detail=f"college={college or '*'} students={stats.students}",
    )  # fmt: skip
    local = ctx.now.astimezone(ctx.config.tz).date().isoformat()
    name = render("stats_chart_file", scope=scope_name(college), day=local)
    told = summary(stats, tz=ctx.config.tz, own=asker.college if college else None, wide=True)
    return [text(told), image(chart, name=name, confidential=True)]


async def _denied(
    ctx: Context, actor: int | None, *, college: str | None, channel: str | None
) -> list[Outbound]:
    await audit.record(
        ctx.session, action="denied_stats", at=ctx.now, actor_id=actor, channel=channel,
        detail=f"college={college or '*'}",
    )  # fmt: skip
    return [text(render("stats_denied"))]


async def _college_exists(ctx: Context, college: str) -> bool:
    query = select(Person.id).where(Person.college == college).limit(1)
    return (await ctx.session.exec(query)).first() is not None
