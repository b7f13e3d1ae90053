"""The per-person inbound rate limit: beyond `rate_limit_per_minute` answered messages in the
last minute a person gets one polite notice, then silence until the minute has passed; a
message with crisis words always goes through.

`verdict` is the decision, pure; `admit` gathers its inputs from the database all replicas
share (storage/messaging/inbound_rate.py), so a person cannot multiply the limit by reaching
several web processes, and only one of them sends the notice. The count rides in the
sender lookup's query; the notice's reads and claim run only for a person over the limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from handlers.access.identity import Identity
from handlers.context import Context, HandlerConfig
from handlers.envelopes import Inbound, Outbound, text
from handlers.safety import alerts
from messages.render import render
from storage import audit
from storage.messaging import inbound_rate

WINDOW = timedelta(minutes=1)


class Verdict(StrEnum):
    ALLOW = "allow"
    NOTIFY_ONCE = "notify_once"
    """Over the limit and not told yet in this window: the notice instead of an answer."""
    DROP = "drop"
    """Over the limit and told already: stored and recorded, not answered."""


def verdict(*, count: int, limit: int, already_notified: bool, is_crisis: bool) -> Verdict:
    """`count`: the person's messages answered in the last minute (before this one);
    `limit` 0 turns the limit off."""
    if is_crisis or limit <= 0 or count < limit:
        return Verdict.ALLOW
    return Verdict.DROP if already_notified else Verdict.NOTIFY_ONCE


def counted_since(config: HandlerConfig, now: datetime) -> datetime | None:
    """Since when the sender lookup counts a person's answered messages (None: the limit is
    off, nothing to count): the dispatcher asks it for every batch."""
    return now - WINDOW if config.rate_limit_per_minute > 0 else None


async def admit(inbound: Inbound, who: Identity, ctx: Context, *, earlier: int = 0) -> Verdict:
    """The verdict on a known person's message; `who.answered_recently` is their count read
    with the identity (`counted_since`), `earlier` their messages answered in this same
    transaction (not counted by then). A limited message is audited, and a
    notice another replica claimed first turns this one into a drop."""
    limit = ctx.config.rate_limit_per_minute
    is_crisis = bool(alerts.crisis_words_in(inbound.text or "", ctx.config.crisis_words))
    count = 0 if limit <= 0 or is_crisis else earlier + who.answered_recently
    notified = count >= limit > 0 and await _notified(inbound, who, ctx)
    decided = verdict(count=count, limit=limit, already_notified=notified, is_crisis=is_crisis)
    if decided is Verdict.NOTIFY_ONCE and not await _claim(inbound, who, ctx):
        decided = Verdict.DROP
    if decided is not Verdict.ALLOW:
        await audit.record(
            ctx.session,
            action="rate_limited",
            at=ctx.now,
            actor_id=who.person_id,
            channel=inbound.channel,
            detail=decided.value,
        )
    return decided


def notice(ctx: Context) -> list[Outbound]:
    return [
        text(
            render(
                "ratelimit_notice",
                per_minute=ctx.config.rate_limit_per_minute,
                hotline=ctx.config.hotline,
            )
        )
    ]


async def _notified(inbound: Inbound, who: Identity, ctx: Context) -> bool:
    return await inbound_rate.notified_since(
        ctx.session, channel=inbound.channel, person_id=who.person_id, now=ctx.now, window=WINDOW
    )


async def _claim(inbound: Inbound, who: Identity, ctx: Context) -> bool:
    return await inbound_rate.claim_notice(
        ctx.session, channel=inbound.channel, person_id=who.person_id, now=ctx.now, window=WINDOW
    )
