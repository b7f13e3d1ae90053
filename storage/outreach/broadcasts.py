"""Broadcast rows and their deliveries: drafts, what is due, receipts and status counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Broadcast,
    BroadcastDelivery,
    BroadcastStatus,
    OutboxMessage,
)

CHUNK = 5_000


async def add(session: AsyncSession, broadcast: Broadcast) -> Broadcast:
    session.add(broadcast)
    await session.flush()
    return broadcast


async def get(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)


async def latest_draft(session: AsyncSession, sender_id: int) -> Broadcast | None:
    """The sender's newest broadcast still waiting for 确认发送 (or 仍然发送)."""
    query = (
        select(Broadcast)
        .where(Broadcast.sender_id == sender_id, Broadcast.status == BroadcastStatus.DRAFT)
        .order_by(col(Broadcast.id).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


async def drop_drafts(session: AsyncSession, sender_id: int) -> int:
    """Cancel the sender's open drafts (a new preview replaces an old one)."""
    statement = (
        update(Broadcast)
        .where(
            col(Broadcast.sender_id) == sender_id, col(Broadcast.status) == BroadcastStatus.DRAFT
        )
        .values(status=BroadcastStatus.CANCELLED)
    )
    result = await session.exec(statement)
    return int(result.rowcount)


async def claim_status(session: AsyncSession, broadcast_id: int, *, old: str, new: str) -> bool:
    """Move a broadcast from `old` to `new` only if it is still `old`: of two 确认发送 racing,
    one wins and the other changes nothing."""
    statement = (
        update(Broadcast)
        .where(col(Broadcast.id) == broadcast_id, col(Broadcast.status) == old)
        .values(status=new)
    )
    moved = (await session.exec(statement)).rowcount == 1
    if moved:
        row = await session.get(Broadcast, broadcast_id)
        if row is not None:
            await session.refresh(row)
    return moved


async def due(session: AsyncSession, now: datetime) -> list[Broadcast]:
    """Scheduled broadcasts whose time has come, oldest first."""
    query = (
        select(Broadcast)
        .where(Broadcast.status == BroadcastStatus.SCHEDULED)
        .where(col(Broadcast.send_at) <= now)
        .order_by(col(Broadcast.send_at), col(Broadcast.id))
    )
    return list((await session.exec(query)).all())


async def add_deliveries(
    session: AsyncSession, broadcast_id: int, outbox_ids: Sequence[tuple[int, int | None]]
) -> None:
    """One delivery row per recipient: (person id, outbox row id)."""
    rows = [
        {"broadcast_id": broadcast_id, "person_id": pid, "outbox_id": oid}
        for pid, oid in outbox_ids
    ]
    for start in range(0, len(rows), CHUNK):
        await session.exec(insert(BroadcastDelivery).values(rows[start : start + CHUNK]))


async def recent(
    session: AsyncSession, *, sender_id: int | None, limit: int = 10
) -> list[Broadcast]:
    """Newest first; everyone's when `sender_id` is None."""
    query = select(Broadcast).where(Broadcast.status != BroadcastStatus.CANCELLED)
    if sender_id is not None:
        query = query.where(Broadcast.sender_id == sender_id)
    query = query.order_by(col(Broadcast.id).desc()).limit(limit)
    return list((await session.exec(query)).all())


def within_recall(broadcast: Broadcast, now: datetime, *, window: timedelta) -> bool:
    return broadcast.queued_at is not None and now - broadcast.queued_at < window


async def pending_recalls(session: AsyncSession) -> list[Broadcast]:
    query = select(Broadcast).where(col(Broadcast.recall_pending).is_(True))
    return list((await session.exec(query)).all())


async def sent_messages(session: AsyncSession, broadcast_id: int) -> list[tuple[str, str]]:
    """(channel, platform msgid) of the broadcast's sent rows, each once (a batch shares one)."""
    query = (
        select(col(OutboxMessage.channel), col(OutboxMessage.platform_msgid))
        .join(BroadcastDelivery, col(BroadcastDelivery.outbox_id) == col(OutboxMessage.id))
        .where(col(BroadcastDelivery.broadcast_id) == broadcast_id)
        .where(OutboxMessage.status == "sent", col(OutboxMessage.platform_msgid).is_not(None))
        .distinct()
    )
    return [(channel, msgid) for channel, msgid in (await session.exec(query)).all() if msgid]


async def stop_unsent(session: AsyncSession, broadcast_id: int) -> int:
    """Rows not yet sent never will be: marked failed with the reason "recalled"."""
    waiting = select(col(BroadcastDelivery.outbox_id)).where(
        col(BroadcastDelivery.broadcast_id) == broadcast_id
    )
    statement = (
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(waiting))
        .where(col(OutboxMessage.status).in_(("queued", "retrying")))
        .values(status="failed", last_error="recalled")
    )
    return int((await session.exec(statement)).rowcount)


async def awaiting_reports(session: AsyncSession) -> list[Broadcast]:
    """Queued broadcasts whose sender has not had both reports yet."""
    query = (
        select(Broadcast)
        .where(Broadcast.status == BroadcastStatus.QUEUED)
        .where(col(Broadcast.finished_report_at).is_(None) | col(Broadcast.day_report_at).is_(None))
    )
    return list((await session.exec(query)).all())


async def unfinished(session: AsyncSession, broadcast_id: int) -> int:
    """Rows of the broadcast still waiting for a sender (queued, sending, retrying)."""
    query = (
        select(func.count())
        .select_from(OutboxMessage)
        .join(BroadcastDelivery, col(BroadcastDelivery.outbox_id) == col(OutboxMessage.id))
        .where(col(BroadcastDelivery.broadcast_id) == broadcast_id)
        .where(col(OutboxMessage.status).in_(("queued", "sending", "retrying")))
    )
    return int((await session.exec(query)).one())
