"""Platform access tokens shared by all processes, with a cross-process refresh lock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ApiToken


async def load(session: AsyncSession, key: str) -> ApiToken | None:
    return await session.get(ApiToken, key, populate_existing=True)


async def save(
    session: AsyncSession, *, key: str, token: str, expires_at: datetime, now: datetime
) -> None:
    row = await session.get(ApiToken, key)
    if row is None:
        session.add(ApiToken(key=key, token=token, expires_at=expires_at, updated_at=now))
    else:
        row.token, row.expires_at, row.updated_at = token, expires_at, now
    await session.flush()


async def lock_for_refresh(session: AsyncSession, key: str) -> None:
    """Serialise refreshes of one token across processes (PostgreSQL advisory lock).

    SQLite serialises writers itself; the caller's in-process lock covers one process.
    """
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        connection = await session.connection()
        await connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
