"""Broadcasts: the audience, the notice, one delivery row per recipient and its receipt; topic
subscriptions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.models.base import secret_column, utc_column


class Subscription(SQLModel, table=True):
    """A person's choice for one topic; no row means subscribed (the default)."""

    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    topic: str = Field(primary_key=True, max_length=16)
    subscribed: bool = True
    updated_at: datetime = Field(sa_column=utc_column())


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    """Previewed, waiting for 确认发送 (or 仍然发送 after a privacy-guard hit)."""
    AWAITING_APPROVAL = "awaiting_approval"
    SCHEDULED = "scheduled"
    """Confirmed (and approved where needed); queued at `send_at`."""
    QUEUED = "queued"
    """Its outbox rows are written."""
    CANCELLED = "cancelled"
    RECALLED = "recalled"


class Broadcast(SQLModel, table=True):
    """One notice to an audience. The audience's definition and the content are encrypted:
    a category filter is sensitive."""

    id: int | None = Field(default=None, primary_key=True)
    sender_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="SET NULL"
    )
    sender_channel: str | None = Field(default=None, max_length=16)
    status: str = Field(default=BroadcastStatus.DRAFT, max_length=24, index=True)
    topic: str = Field(max_length=16)
    content: str | None = Field(default=None, sa_column=secret_column())
    audience: str | None = Field(default=None, sa_column=secret_column())
    """The filters as JSON."""
    needs_receipt: bool = False
    urgent: bool = False
    confidential: bool = False
    """Category-filtered: 1:1 only, WeCom safe=1 where the message type allows."""
    guard_words: str | None = Field(default=None, max_length=500)
    """Revealing words the privacy guard found (comma-separated); they need 仍然发送."""
    recipient_count: int = 0
    needs_approval: bool = False
    approved_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    send_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    """When to queue it: a 定时, or the end of quiet hours; None while a draft."""
    created_at: datetime = Field(sa_column=utc_column())
    confirmed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    queued_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    reminded_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    finished_report_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    day_report_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    recalled_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    recall_pending: bool = False
    """撤回 asked; the clock's job takes the sent messages back on the platforms."""


class BroadcastDelivery(SQLModel, table=True):
    """One recipient of a broadcast: their outbox row and their receipt."""

    __tablename__ = "broadcast_delivery"
    __table_args__ = (Index("ix_broadcast_delivery_person", "person_id", "broadcast_id"),)

    broadcast_id: int = Field(foreign_key="broadcast.id", primary_key=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id", ondelete="SET NULL")
    read_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    confirmed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    reminded_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
