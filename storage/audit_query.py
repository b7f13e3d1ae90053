"""Reading the audit log back (`carebot audit`): entries with the codes and names of who acted
and whom it concerned, oldest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry, Person


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One entry as shown: people by 工号/学号 and name, never by database id."""

    at: datetime
    action: str
    actor_code: str | None
    actor_name: str | None
    subject_code: str | None
    subject_name: str | None
    channel: str | None
    account: str | None
    detail: str | None


async def audit_entries(
    session: AsyncSession,
    *,
    actor_id: int | None = None,
    subject_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
) -> list[AuditRow]:
    """The entries that match every filter given, oldest first (ties in the order written)."""
    actor, subject = aliased(Person), aliased(Person)
    entry = AuditEntry.__table__.c  # type: ignore[attr-defined]
    query: Any = (
        select(
            entry.at,
            entry.action,
            col(actor.code),
            col(actor.name),
            col(subject.code),
            col(subject.name),
            entry.channel,
            entry.account,
            entry.detail,
        )
        .select_from(AuditEntry)
        .outerjoin(actor, col(actor.id) == entry.actor_id)
        .outerjoin(subject, col(subject.id) == entry.subject_id)
        .order_by(entry.at, entry.id)
    )
    if actor_id is not None:
        query = query.where(entry.actor_id == actor_id)
    if subject_id is not None:
        query = query.where(entry.subject_id == subject_id)
    if action is not None:
        query = query.where(entry.action == action)
    if since is not None:
        query = query.where(entry.at >= since)
    connection = await session.connection()
    return [AuditRow(*row) for row in await connection.execute(query)]
