"""Safety alerts, their follow-up messages and the people they go to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Alert,
    AlertMessage,
    AlertRecipient,
    AlertStatus,
)


async def recent_open(
    session: AsyncSession, *, student_id: int | None, raised_by: int | None, since: datetime
) -> Alert | None:
    """An open alert about the same student (or from the same person) raised since `since`."""
    query = select(Alert).where(Alert.status == AlertStatus.OPEN)
    query = query.where(col(Alert.created_at) >= since)
    if student_id is not None:
        query = query.where(Alert.student_id == student_id)
    else:
        query = query.where(col(Alert.student_id).is_(None)).where(Alert.raised_by == raised_by)
    return (await session.exec(query.limit(1))).first()


async def add(session: AsyncSession, alert: Alert) -> Alert:
    session.add(alert)
    await session.flush()
    return alert


async def get(session: AsyncSession, alert_id: int) -> Alert | None:
    return await session.get(Alert, alert_id)


async def add_message(session: AsyncSession, message: AlertMessage) -> AlertMessage:
    session.add(message)
    await session.flush()
    return message


async def messages_of(
    session: AsyncSession, alert_id: int, *, since: datetime | None = None
) -> Sequence[AlertMessage]:
    """The alert's follow-up messages, oldest first (those from `since` on)."""
    query = select(AlertMessage).where(AlertMessage.alert_id == alert_id)
    if since is not None:
        query = query.where(col(AlertMessage.created_at) >= since)
    return (await session.exec(query.order_by(col(AlertMessage.id)))).all()


async def recipients(session: AsyncSession, alert_id: int) -> dict[int, int]:
    """Who was sent the alert: person id → the level they were first sent it at."""
    query = select(AlertRecipient).where(AlertRecipient.alert_id == alert_id)
    return {row.person_id: row.level for row in (await session.exec(query)).all()}


async def add_recipients(
    session: AsyncSession, *, alert_id: int, person_ids: Sequence[int], level: int
) -> None:
    """Record that these people were sent the alert (those already recorded keep their level)."""
    known = await recipients(session, alert_id)
    fresh = [pid for pid in dict.fromkeys(person_ids) if pid not in known]
    session.add_all(AlertRecipient(alert_id=alert_id, person_id=pid, level=level) for pid in fresh)
    await session.flush()


async def is_recipient(session: AsyncSession, *, alert_id: int, person_id: int) -> bool:
    return await session.get(AlertRecipient, (alert_id, person_id)) is not None


async def due_for_escalation(session: AsyncSession, now: datetime) -> Sequence[Alert]:
    query = (
        select(Alert)
        .where(Alert.status == AlertStatus.OPEN)
        .where(col(Alert.escalate_at).is_not(None))
        .where(col(Alert.escalate_at) <= now)
        .order_by(col(Alert.id))
        .with_for_update(skip_locked=True)
    )
    return (await session.exec(query)).all()


def next_escalation(now: datetime, after: timedelta, level: int, max_level: int) -> datetime | None:
    return now + after if level < max_level else None
