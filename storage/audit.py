"""The audit log: every access decision worth reviewing, never with sensitive values."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry

_channel: ContextVar[str | None] = ContextVar("audit_channel", default=None)


@contextmanager
def channel_of(channel: str) -> Iterator[None]:
    """Entries recorded inside (while one message is handled) carry this channel when their
    caller gives none: every handler need not pass it along."""
    token = _channel.set(channel)
    try:
        yield
    finally:
        _channel.reset(token)


async def record(
    session: AsyncSession,
    *,
    action: str,
    at: datetime,
    actor_id: int | None = None,
    channel: str | None = None,
    account: str | None = None,
    subject_id: int | None = None,
    detail: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        action=action,
        at=at,
        actor_id=actor_id,
        channel=channel or _channel.get(),
        account=account[:128] if account else None,
        subject_id=subject_id,
        detail=detail[:1000] if detail else None,
    )
    session.add(entry)
    await session.flush()
    return entry
