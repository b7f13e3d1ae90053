"""The outbox: every outgoing message is a row before it is anything else."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import OutboxMessage, OutboxStatus


async def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    person_id: int | None,
    recipient: str,
    payload: dict[str, Any],
    idempotency_key: str,
    now: datetime,
    delivered: bool = False,
    platform_msgid: str | None = None,
) -> OutboxMessage:
    """Add a message row; `delivered` marks channels that deliver inside the request itself."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    row = OutboxMessage(
        channel=channel,
        person_id=person_id,
        recipient=recipient,
        payload=body,
        content_key=hashlib.sha256(f"{channel}\n{body}".encode()).hexdigest(),
        idempotency_key=idempotency_key,
        status=OutboxStatus.SENT if delivered else OutboxStatus.QUEUED,
        next_attempt_at=now,
        created_at=now,
        sent_at=now if delivered else None,
        platform_msgid=platform_msgid,
    )
    session.add(row)
    await session.flush()
    return row


async def delivered_to(
    session: AsyncSession, *, channel: str, person_id: int, after: int = 0, limit: int = 200
) -> Sequence[OutboxMessage]:
    """Messages already delivered to a person on a channel, oldest first, after an id."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.channel == channel)
        .where(OutboxMessage.person_id == person_id)
        .where(OutboxMessage.status == OutboxStatus.SENT)
        .where(col(OutboxMessage.id) > after)
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    )
    return (await session.exec(query)).all()


async def requeue(session: AsyncSession, row: OutboxMessage, *, now: datetime) -> None:
    """A row meant for a passive reply goes to the sender after all."""
    row.status, row.sent_at, row.platform_msgid, row.next_attempt_at = (
        OutboxStatus.QUEUED,
        None,
        None,
        now,
    )
    session.add(row)
    await session.flush()


async def by_key(session: AsyncSession, idempotency_key: str) -> OutboxMessage | None:
    query = select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
    return (await session.exec(query)).first()


def payload_of(row: OutboxMessage) -> dict[str, Any]:
    data = json.loads(row.payload)
    assert isinstance(data, dict)
    return data
