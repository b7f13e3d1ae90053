"""Queueing a confirmed broadcast: re-resolve its audience, one outbox row per recipient
(identical content shares one payload, so the sender batches it per platform call), one
delivery row each; outside quiet hours unless 紧急; scheduled ones when their time comes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select

from handlers import delivery
from handlers.access import rules as access
from handlers.context import Context
from handlers.outreach import notice
from handlers.policy import calendar
from handlers.reminders.rules import graduating_year, policy_of
from storage.messaging import outbox
from storage.models import Broadcast, BroadcastStatus, Person
from storage.outreach import audience as audiences
from storage.outreach import broadcasts
from storage.people.roles import roles_of

CHUNK = 2_000


def quiet_until(moment: datetime, ctx: Context) -> datetime | None:
    """The end of the quiet hours `moment` falls in (the policy's rule), else None."""
    return calendar.quiet_hours_end(moment, policy_of(ctx), tz=ctx.config.tz)


def send_time(broadcast: Broadcast, ctx: Context) -> datetime:
    """When a confirmed broadcast may go: its 定时 (or now), moved past quiet hours unless
    it is urgent."""
    at = max(broadcast.send_at or ctx.now, ctx.now)
    if broadcast.urgent:
        return at
    return quiet_until(at, ctx) or at


async def release(ctx: Context, broadcast: Broadcast) -> int:
    """A confirmed (and approved) broadcast: queued now, or scheduled for later; how many
    rows were queued now."""
    at = send_time(broadcast, ctx)
    if at > ctx.now:
        broadcast.status = BroadcastStatus.SCHEDULED
        broadcast.send_at = at
        ctx.session.add(broadcast)
        await ctx.session.flush()
        return 0
    return await queue(ctx, broadcast)


async def queue(ctx: Context, broadcast: Broadcast) -> int:
    """Write the outbox rows and delivery rows; the broadcast is QUEUED after."""
    assert broadcast.id is not None
    recipients = await _recipients(ctx, broadcast)
    content = broadcast.content or ""
    shared = None if notice.personalised(content) else notice.message(broadcast, content)
    queued = 0
    for start in range(0, len(recipients), CHUNK):
        chunk = recipients[start : start + CHUNK]
        people = await _people(ctx, chunk) if shared is None else {}
        routes = await delivery.routes(ctx, chunk)
        rows: list[dict[str, Any]] = []
        order: list[int] = []
        for person_id in chunk:
            if person_id not in routes:
                continue
            channel, recipient = routes[person_id]
            message = shared or notice.message(broadcast, notice.fill(content, people[person_id]))
            rows.append(
                outbox.row_values(
                    channel=channel,
                    person_id=person_id,
                    recipient=recipient,
                    payload=message.to_payload(),
                    idempotency_key=f"broadcast:{broadcast.id}:{person_id}",
                    now=ctx.now,
                )
            )
            order.append(person_id)
        written = await outbox.enqueue_many(ctx.session, rows)
        await broadcasts.add_deliveries(
            ctx.session, broadcast.id, list(zip(order, written, strict=True))
        )
        queued += len(written)
    broadcast.status = BroadcastStatus.QUEUED
    broadcast.queued_at = ctx.now
    broadcast.recipient_count = queued
    ctx.session.add(broadcast)
    await ctx.session.flush()
    return queued


async def _recipients(ctx: Context, broadcast: Broadcast) -> list[int]:
    """The audience as of now, inside the sender's scope as of now."""
    if broadcast.sender_id is None:
        return []
    sender = await ctx.session.get(Person, broadcast.sender_id)
    roles = (await roles_of(ctx.session, [broadcast.sender_id])).get(broadcast.sender_id)
    if sender is None or roles is None:
        return []
    scope = access.broadcast_scope(roles, person_id=broadcast.sender_id, college=sender.college)
    found = await audiences.resolve(
        ctx.session,
        notice.load_filters(broadcast.audience),
        within=scope,
        topic=broadcast.topic,
        channels={channel: ctx.config.match_for(channel) for channel in ctx.config.channels},
        now=ctx.now,
        class_year=graduating_year(ctx),
    )
    return found.recipients


async def _people(ctx: Context, ids: list[int]) -> dict[int, Person]:
    query = select(Person).where(col(Person.id).in_(ids))
    return {p.id: p for p in (await ctx.session.exec(query)).all() if p.id is not None}


async def run_due(ctx: Context) -> int:
    """The scheduler's job: queue every scheduled broadcast whose time has come (stored
    rows, so a restart loses none); how many outbox rows were queued."""
    queued = 0
    for broadcast in await broadcasts.due(ctx.session, ctx.now):
        if await broadcasts.claim_status(
            ctx.session,
            broadcast.id or 0,
            old=BroadcastStatus.SCHEDULED,
            new=BroadcastStatus.QUEUED,
        ):
            queued += await queue(ctx, broadcast)
    return queued
