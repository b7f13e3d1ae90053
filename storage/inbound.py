"""Inbound dedupe: the first delivery of a message id wins; retries are recognised."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import InboundMessage


async def first_delivery(
    session: AsyncSession, *, channel: str, dedupe_key: str, at: datetime
) -> bool:
    """Record the delivery; False when this (channel, key) was already seen."""
    values = {"channel": channel, "dedupe_key": dedupe_key[:255], "received_at": at}
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    statement = (
        postgresql.insert(InboundMessage)
        if dialect == "postgresql"
        else sqlite.insert(InboundMessage)
    )
    result = await session.exec(
        statement.values(**values).on_conflict_do_nothing(index_elements=["channel", "dedupe_key"])
    )
    return bool(result.rowcount == 1)
