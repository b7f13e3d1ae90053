"""The outbox: every outgoing message is a row before it is anything else."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, update
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
    values = row_values(
        channel=channel,
        person_id=person_id,
        recipient=recipient,
        payload=payload,
        idempotency_key=idempotency_key,
        now=now,
        delivered=delivered,
        platform_msgid=platform_msgid,
    )
    return (await enqueue_many(session, [values]))[0]


def row_values(
    *,
    channel: str,
    person_id: int | None,
    recipient: str,
    payload: dict[str, Any],
    idempotency_key: str,
    now: datetime,
    delivered: bool = False,
    platform_msgid: str | None = None,
) -> dict[str, Any]:
    """The column values of one outbox row, for `enqueue_many`."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    return dict(
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
        attempts=0,
    )


async def enqueue_many(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> list[OutboxMessage]:
    """Insert rows in one statement, returning detached records of what was written.

    A Core INSERT … RETURNING rather than the unit of work: this runs for every reply."""
    if not rows:
        return []
    connection = await session.connection()
    result = await connection.execute(_INSERT, list(rows))
    waiting = sum(1 for row in rows if row["status"] == OutboxStatus.QUEUED)
    session.info[_QUEUED] = session.info.get(_QUEUED, 0) + waiting
    ids = [row[0] for row in result]
    return [
        OutboxMessage.model_construct(id=row_id, **values)
        for row_id, values in zip(ids, rows, strict=True)
    ]


_QUEUED = "outbox_queued"


def queued_in(session: AsyncSession) -> int:
    """How many rows waiting for a sender this session has inserted: after its commit, the
    sender is woken so they leave at once rather than at the next sweep."""
    return int(session.info.get(_QUEUED, 0))


_INSERT = insert(OutboxMessage).returning(col(OutboxMessage.id), sort_by_parameter_order=True)


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


async def requeue(session: AsyncSession, row_id: int, *, now: datetime) -> None:
    """A row meant for a passive reply goes to the sender after all."""
    statement = (
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == row_id)
        .values(status=OutboxStatus.QUEUED, sent_at=None, platform_msgid=None, next_attempt_at=now)
    )
    await session.exec(statement)


async def by_key(session: AsyncSession, idempotency_key: str) -> OutboxMessage | None:
    query = select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
    return (await session.exec(query)).first()


def payload_of(row: OutboxMessage) -> dict[str, Any]:
    data = json.loads(row.payload)
    assert isinstance(data, dict)
    return data


DUE_STATUSES = (OutboxStatus.QUEUED, OutboxStatus.RETRYING)


async def claim_due(
    session: AsyncSession, *, channels: Sequence[str], now: datetime, lease: timedelta, limit: int
) -> list[OutboxMessage]:
    """Lease due rows (and rows whose sender died mid-lease) to this sender, oldest first.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent senders take disjoint rows.
    """
    due = and_(
        col(OutboxMessage.status).in_(DUE_STATUSES), col(OutboxMessage.next_attempt_at) <= now
    )
    stale = and_(
        col(OutboxMessage.status) == OutboxStatus.SENDING, col(OutboxMessage.lease_until) < now
    )
    query = (
        select(OutboxMessage)
        .where(col(OutboxMessage.channel).in_(channels))
        .where(or_(due, stale))
        .order_by(col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list((await session.exec(query)).all())
    for row in rows:
        row.status, row.lease_until = OutboxStatus.SENDING, now + lease
        row.attempts += 1
    await session.flush()
    return rows


async def recent_sends(
    session: AsyncSession, *, channel: str, recipients: Sequence[str], since: datetime
) -> dict[str, list[datetime]]:
    """Active sends per recipient since a moment (passive replies do not count)."""
    query = (
        select(OutboxMessage.recipient, OutboxMessage.sent_at)
        .where(OutboxMessage.channel == channel)
        .where(col(OutboxMessage.recipient).in_(recipients))
        .where(OutboxMessage.status == OutboxStatus.SENT)
        .where(col(OutboxMessage.sent_at) >= since)
        .where(
            or_(
                col(OutboxMessage.platform_msgid).is_(None),
                col(OutboxMessage.platform_msgid) != "passive",
            )
        )
    )
    result: dict[str, list[datetime]] = {}
    for recipient, sent_at in (await session.exec(query)).all():
        if sent_at is not None:
            result.setdefault(recipient, []).append(sent_at)
    return result


async def rows_by_id(session: AsyncSession, ids: Sequence[int]) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(col(OutboxMessage.id).in_(ids)).with_for_update()
    return list((await session.exec(query)).all())


async def status_counts(session: AsyncSession) -> list[tuple[str, str, int]]:
    query = (
        select(OutboxMessage.channel, OutboxMessage.status, func.count())
        .group_by(col(OutboxMessage.channel), col(OutboxMessage.status))
        .order_by(col(OutboxMessage.channel), col(OutboxMessage.status))
    )
    return [(c, s, n) for c, s, n in (await session.exec(query)).all()]


async def common_errors(session: AsyncSession, *, limit: int = 5) -> list[tuple[str, int]]:
    query = (
        select(OutboxMessage.last_error, func.count())
        .where(col(OutboxMessage.last_error).is_not(None))
        .where(col(OutboxMessage.status).in_((OutboxStatus.RETRYING, OutboxStatus.FAILED)))
        .group_by(col(OutboxMessage.last_error))
        .order_by(func.count().desc())
        .limit(limit)
    )
    return [(e or "", n) for e, n in (await session.exec(query)).all()]
