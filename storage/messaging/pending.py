"""Accepted-but-unhandled inbound messages: stored before the platform hears 200 without the
answer, handled by the sweep after a crash, deleted once handled."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import PendingInbound


@dataclass(frozen=True, slots=True)
class Held:
    id: int
    channel: str
    dedupe_key: str
    payload: dict[str, Any]
    received_at: datetime


async def hold(
    session: AsyncSession, *, channel: str, dedupe_key: str, payload: dict[str, Any], at: datetime
) -> None:
    """Keep a copy of the message; a second copy of the same delivery is a no-op."""
    connection = await session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = insert(PendingInbound).on_conflict_do_nothing(
        index_elements=["channel", "dedupe_key"]
    )
    values = {
        "channel": channel,
        "dedupe_key": dedupe_key[:255],
        "payload": json.dumps(payload, ensure_ascii=False),
        "received_at": at,
    }
    await session.exec(statement.values(**values))


async def held(session: AsyncSession, *, received_before: datetime, limit: int = 200) -> list[Held]:
    """The oldest copies received before a moment."""
    query = (
        select(PendingInbound)
        .where(col(PendingInbound.received_at) < received_before)
        .order_by(col(PendingInbound.received_at), col(PendingInbound.id))
        .limit(limit)
    )
    rows = (await session.exec(query)).all()
    return [
        Held(row.id or 0, row.channel, row.dedupe_key, json.loads(row.payload), row.received_at)
        for row in rows
    ]


async def release(session: AsyncSession, *, channel: str, dedupe_keys: Sequence[str]) -> None:
    """The messages were handled (or found already handled): drop their copies."""
    if not dedupe_keys:
        return
    keys = [key[:255] for key in dedupe_keys]
    statement = (
        delete(PendingInbound)
        .where(col(PendingInbound.channel) == channel)
        .where(col(PendingInbound.dedupe_key).in_(keys))
    )
    await session.exec(statement)
