"""Safety alerts, the further messages added to them and who was sent each."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from storage.crypto import EncryptedText
from storage.models.base import secret_column, utc_column


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"


class Alert(SQLModel, table=True):
    """A safety risk raised by a visit log or crisis words; escalates until acknowledged."""

    __table_args__ = (Index("ix_alert_open", "status", "escalate_at"),)

    id: int | None = Field(default=None, primary_key=True)
    student_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    raised_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    source: str = Field(max_length=16, description="visit_log | weekly | message")
    detail: str | None = Field(default=None, sa_column=secret_column())
    context_id: int | None = Field(
        default=None,
        foreign_key="person.id",
        ondelete="SET NULL",
        description="the student a student writer's open form was about (context, not subject)",
    )
    status: str = Field(default=AlertStatus.OPEN, max_length=16)
    level: int = 1
    created_at: datetime = Field(sa_column=utc_column())
    escalate_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    acknowledged_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    acknowledged_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")


class AlertMessage(SQLModel, table=True):
    """A further message added to an open alert (新消息), re-sent to its recipients."""

    __tablename__ = "alert_message"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True, ondelete="CASCADE")
    author_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    source: str = Field(max_length=16, description="visit_log | weekly | message")
    text: str = Field(sa_column=Column(EncryptedText(), nullable=False))
    context_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    created_at: datetime = Field(sa_column=utc_column())


class AlertRecipient(SQLModel, table=True):
    """Who was sent an alert, and from which level on: the people who may acknowledge it."""

    __tablename__ = "alert_recipient"

    alert_id: int = Field(foreign_key="alert.id", primary_key=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    level: int = 1
