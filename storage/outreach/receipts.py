"""Receipts: 收到, 已读 and reminders per recipient, and the counts 群发状态 shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Broadcast,
    BroadcastDelivery,
    BroadcastStatus,
    OutboxMessage,
    Person,
)

CHUNK = 5_000


async def confirm(
    session: AsyncSession, *, broadcast_id: int, person_id: int, now: datetime
) -> bool:
    """Record a 收到; False when there was nothing to confirm (not a recipient, or again)."""
    statement = (
        update(BroadcastDelivery)
        .where(col(BroadcastDelivery.broadcast_id) == broadcast_id)
        .where(col(BroadcastDelivery.person_id) == person_id)
        .where(col(BroadcastDelivery.confirmed_at).is_(None))
        .values(confirmed_at=now)
    )
    return bool((await session.exec(statement)).rowcount)


async def is_recipient(session: AsyncSession, *, broadcast_id: int, person_id: int) -> bool:
    """Whether the broadcast was addressed to this person."""
    query = (
        select(col(BroadcastDelivery.person_id))
        .where(col(BroadcastDelivery.broadcast_id) == broadcast_id)
        .where(col(BroadcastDelivery.person_id) == person_id)
        .limit(1)
    )
    return (await session.exec(query)).first() is not None


async def awaiting_receipt(session: AsyncSession, person_id: int) -> int | None:
    """The newest broadcast that asked this person for a receipt they have not given."""
    query = (
        select(col(BroadcastDelivery.broadcast_id))
        .join(Broadcast, col(Broadcast.id) == col(BroadcastDelivery.broadcast_id))
        .where(col(BroadcastDelivery.person_id) == person_id)
        .where(col(BroadcastDelivery.confirmed_at).is_(None))
        .where(col(Broadcast.needs_receipt).is_(True))
        .where(col(Broadcast.status) == BroadcastStatus.QUEUED)
        .order_by(col(BroadcastDelivery.broadcast_id).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


@dataclass
class Status:
    """What 群发状态 shows: outbox states, failures by reason, reads, confirmations."""

    total: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    errors: list[tuple[str, int]] = field(default_factory=list)
    read: int = 0
    confirmed: int = 0
    unconfirmed: list[str] = field(default_factory=list)
    """Names (with class) of recipients who have not confirmed, up to a limit."""
    unconfirmed_count: int = 0


async def status_of(session: AsyncSession, broadcast_id: int, *, names: int = 30) -> Status:
    status = Status()
    delivery = BroadcastDelivery
    states = (
        select(col(OutboxMessage.status), func.count())
        .join(delivery, col(delivery.outbox_id) == col(OutboxMessage.id))
        .where(col(delivery.broadcast_id) == broadcast_id)
        .group_by(col(OutboxMessage.status))
    )
    status.by_state = {state: count for state, count in (await session.exec(states)).all()}
    errors = (
        select(col(OutboxMessage.last_error), func.count())
        .join(delivery, col(delivery.outbox_id) == col(OutboxMessage.id))
        .where(col(delivery.broadcast_id) == broadcast_id, OutboxMessage.status == "failed")
        .group_by(col(OutboxMessage.last_error))
        .order_by(func.count().desc())
        .limit(5)
    )
    status.errors = [(error or "", count) for error, count in (await session.exec(errors)).all()]
    counts = select(
        func.count(), func.count(col(delivery.read_at)), func.count(col(delivery.confirmed_at))
    ).where(col(delivery.broadcast_id) == broadcast_id)
    status.total, status.read, status.confirmed = (await session.exec(counts)).one()
    status.unconfirmed_count = status.total - status.confirmed
    pending = (
        select(col(Person.name), col(Person.class_name))
        .join(delivery, col(delivery.person_id) == col(Person.id))
        .where(col(delivery.broadcast_id) == broadcast_id, col(delivery.confirmed_at).is_(None))
        .order_by(col(Person.class_name), col(Person.code))
        .limit(names)
    )
    status.unconfirmed = [
        f"{name}（{class_name}）" if class_name else name
        for name, class_name in (await session.exec(pending)).all()
    ]
    return status


async def unconfirmed_ids(
    session: AsyncSession, broadcast_id: int, *, reminded_before: datetime | None = None
) -> list[int]:
    """Recipients who have not confirmed (and were not reminded since `reminded_before`)."""
    query = (
        select(col(BroadcastDelivery.person_id))
        .where(col(BroadcastDelivery.broadcast_id) == broadcast_id)
        .where(col(BroadcastDelivery.confirmed_at).is_(None))
    )
    if reminded_before is not None:
        query = query.where(
            (col(BroadcastDelivery.reminded_at).is_(None))
            | (col(BroadcastDelivery.reminded_at) < reminded_before)
        )
    return list((await session.exec(query)).all())


async def mark_reminded(
    session: AsyncSession, broadcast_id: int, person_ids: Sequence[int], now: datetime
) -> None:
    for start in range(0, len(person_ids), CHUNK):
        statement = (
            update(BroadcastDelivery)
            .where(col(BroadcastDelivery.broadcast_id) == broadcast_id)
            .where(col(BroadcastDelivery.person_id).in_(person_ids[start : start + CHUNK]))
            .values(reminded_at=now)
        )
        await session.exec(statement)


async def unread(session: AsyncSession, *, since: datetime) -> list[tuple[int, str, str]]:
    """Sent messages with a recipient who has not read them yet, of broadcasts queued since
    `since`: (broadcast id, channel, platform msgid), each once."""
    query = (
        select(
            col(BroadcastDelivery.broadcast_id),
            col(OutboxMessage.channel),
            col(OutboxMessage.platform_msgid),
        )
        .join(OutboxMessage, col(OutboxMessage.id) == col(BroadcastDelivery.outbox_id))
        .join(Broadcast, col(Broadcast.id) == col(BroadcastDelivery.broadcast_id))
        .where(col(Broadcast.status) == BroadcastStatus.QUEUED)
        .where(col(Broadcast.queued_at) >= since)
        .where(col(BroadcastDelivery.read_at).is_(None))
        .where(col(OutboxMessage.status) == "sent")
        .where(col(OutboxMessage.platform_msgid).is_not(None))
        .distinct()
    )
    return [
        (bid, channel, msgid) for bid, channel, msgid in (await session.exec(query)).all() if msgid
    ]


async def mark_read(
    session: AsyncSession,
    *,
    broadcast_id: int,
    msgid: str,
    recipients: Sequence[str],
    now: datetime,
) -> int:
    """Record 已读 for the recipients (platform accounts) of one sent message."""
    rows = select(col(OutboxMessage.id)).where(
        col(OutboxMessage.platform_msgid) == msgid, col(OutboxMessage.recipient).in_(recipients)
    )
    statement = (
        update(BroadcastDelivery)
        .where(col(BroadcastDelivery.broadcast_id) == broadcast_id)
        .where(col(BroadcastDelivery.outbox_id).in_(rows))
        .where(col(BroadcastDelivery.read_at).is_(None))
        .values(read_at=now)
    )
    return int((await session.exec(statement)).rowcount)
