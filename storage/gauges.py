"""The few figures /metrics reads from the database at each scrape, each one cheap query."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Alert, AlertStatus, OutboxMessage, ReminderLog


async def outbox_by_status(session: AsyncSession) -> dict[str, int]:
    """Outbox rows per status, in one GROUP BY."""
    query = select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
    return {status: int(n) for status, n in (await session.exec(query)).all()}


async def open_alerts(session: AsyncSession) -> int:
    query = select(func.count()).select_from(Alert).where(col(Alert.status) == AlertStatus.OPEN)
    return int((await session.exec(query)).one())


async def latest_reminder_items(session: AsyncSession, *, kind: str, largest: bool) -> int | None:
    """The items the reminders of `kind` carried on the latest day one was recorded: their sum,
    or with `largest` the largest (a school-wide figure every recipient got whole); None
    before the first."""
    latest = select(func.max(ReminderLog.day)).where(col(ReminderLog.kind) == kind)
    combine = func.max if largest else func.sum
    query = (
        select(combine(ReminderLog.items))
        .where(col(ReminderLog.kind) == kind)
        .where(col(ReminderLog.day) == latest.scalar_subquery())
    )
    found = (await session.exec(query)).one()
    return None if found is None else int(found)
