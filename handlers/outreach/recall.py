"""撤回 N: within 24 hours a broadcast's sender takes it back. Unsent rows stop at once; the
clock's job (bot/schedule/jobs.py) recalls what the platforms delivered."""

from __future__ import annotations

from datetime import timedelta

from handlers.access import rules as access
from handlers.access.identity import Identity
from handlers.context import Context
from handlers.envelopes import Outbound, text
from messages.render import render
from storage import audit
from storage.models import BroadcastStatus
from storage.outreach import broadcasts

WINDOW = timedelta(hours=24)
"""WeCom takes back app messages sent within the last 24 hours."""


async def recall(ctx: Context, who: Identity, number: int | None) -> list[Outbound]:
    broadcast = await broadcasts.get(ctx.session, number) if number else None
    own = broadcast is not None and broadcast.sender_id == who.person_id
    if (
        broadcast is None
        or broadcast.id is None
        or not access.may_follow_broadcast(who.roles, own=own)
    ):
        return [text(render("outreach_not_found", number=number or 0))]
    if broadcast.status in (BroadcastStatus.SCHEDULED, BroadcastStatus.AWAITING_APPROVAL):
        broadcast.status = BroadcastStatus.CANCELLED
        ctx.session.add(broadcast)
        return [text(render("outreach_cancelled", broadcast=broadcast))]
    if broadcast.status != BroadcastStatus.QUEUED or not broadcasts.within_recall(
        broadcast, ctx.now, window=WINDOW
    ):
        return [text(render("outreach_recall_refused", broadcast=broadcast))]
    stopped = await broadcasts.stop_unsent(ctx.session, broadcast.id)
    broadcast.status = BroadcastStatus.RECALLED
    broadcast.recalled_at = ctx.now
    broadcast.recall_pending = True
    ctx.session.add(broadcast)
    await audit.record(
        ctx.session,
        action="broadcast_recalled",
        at=ctx.now,
        actor_id=who.person_id,
        detail=f"broadcast {broadcast.id}",
    )
    return [text(render("outreach_recalled", broadcast=broadcast, stopped=stopped))]
