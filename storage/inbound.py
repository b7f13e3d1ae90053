"""Inbound dedupe: the first delivery of a message id wins; retries are recognised."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import InboundMessage


@cache
def _insert_once(dialect: str) -> Insert:
    """Built once per dialect: this statement runs for every inbound message."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(InboundMessage).on_conflict_do_nothing(index_elements=["channel", "dedupe_key"])


async def first_delivery(
    session: AsyncSession, *, channel: str, dedupe_key: str, at: datetime
) -> bool:
    """Record the delivery; False when this (channel, key) was already seen."""
    connection = await session.connection()
    values = {"channel": channel, "dedupe_key": dedupe_key[:255], "received_at": at}
    result = await connection.execute(_insert_once(connection.dialect.name), values)
    return bool(result.rowcount == 1)
