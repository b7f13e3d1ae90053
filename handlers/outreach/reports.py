"""The sender's two reports on a broadcast: when every row has been sent or has failed, and
24 hours after it went out (receipts by then)."""

from __future__ import annotations

from datetime import timedelta

from handlers import delivery
from handlers.context import Context
from handlers.envelopes import text
from messages.render import render
from storage.models import Broadcast
from storage.outreach import broadcasts, receipts

DAY = timedelta(hours=24)


async def run_reports(ctx: Context) -> int:
    """The scheduler's job: how many reports were queued."""
    queued = 0
    for broadcast in await broadcasts.awaiting_reports(ctx.session):
        if broadcast.id is None or broadcast.sender_id is None:
            continue
        if broadcast.finished_report_at is None:
            if await broadcasts.unfinished(ctx.session, broadcast.id) == 0:
                queued += await _report(ctx, broadcast, "finished")
                broadcast.finished_report_at = ctx.now
        elif broadcast.queued_at is not None and ctx.now - broadcast.queued_at >= DAY:
            queued += await _report(ctx, broadcast, "day")
            broadcast.day_report_at = ctx.now
        ctx.session.add(broadcast)
    return queued


async def _report(ctx: Context, broadcast: Broadcast, kind: str) -> int:
    assert broadcast.id is not None and broadcast.sender_id is not None
    status = await receipts.status_of(ctx.session, broadcast.id, names=10)
    message = text(render("outreach_report", broadcast=broadcast, status=status, kind=kind))
    key = f"broadcast-report:{broadcast.id}:{kind}"
    return await delivery.send_to_people(
        ctx, person_ids=[broadcast.sender_id], message=message, key=key
    )
