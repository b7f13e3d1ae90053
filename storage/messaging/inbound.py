"""Inbound dedupe: the first delivery of a message id wins; retries are recognised."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import InboundMessage


@cache
def _insert_once(dialect: str) -> Insert:
    """Built once per dialect: this statement runs for every inbound message."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(InboundMessage)
        .on_conflict_do_nothing(index_elements=["channel", "dedupe_key"])
        .returning(col(InboundMessage.dedupe_key))
    )


async def first_delivery(
    session: AsyncSession, *, channel: str, dedupe_key: str, at: datetime
) -> bool:
    """Record the delivery; False when this (channel, key) was already seen."""
    found = await first_deliveries(session, channel=channel, dedupe_keys=[dedupe_key], at=at)
    return dedupe_key in found


async def first_deliveries(
    session: AsyncSession, *, channel: str, dedupe_keys: Sequence[str], at: datetime
) -> set[str]:
    """Record a batch of deliveries in one statement; the keys seen for the first time."""
    if not dedupe_keys:
        return set()
    connection = await session.connection()
    values = [
        {"channel": channel, "dedupe_key": key[:255], "received_at": at} for key in dedupe_keys
    ]
    statement = _insert_once(connection.dialect.name)
    found = {row[0] for row in await connection.execute(statement, values)}
    return {key for key in dedupe_keys if key[:255] in found}
