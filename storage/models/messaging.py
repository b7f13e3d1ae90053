"""Message plumbing: conversations, inbound dedupe and pending copies, the outbox, tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.crypto import EncryptedText
from storage.models.base import secret_column, utc_column


class Conversation(SQLModel, table=True):
    """The state of one person's form on one channel; data is encrypted JSON."""

    __table_args__ = (UniqueConstraint("person_id", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    channel: str = Field(max_length=16)
    form: str = Field(max_length=64)
    step: str = Field(max_length=64)
    data: str | None = Field(default=None, sa_column=secret_column())
    updated_at: datetime = Field(sa_column=utc_column())


class InboundMessage(SQLModel, table=True):
    """Dedupe record of a callback delivery; the unique key makes a retry a no-op."""

    __tablename__ = "inbound_message"
    __table_args__ = (UniqueConstraint("channel", "dedupe_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    dedupe_key: str = Field(max_length=255)
    received_at: datetime = Field(sa_column=utc_column(index=True))


class PendingInbound(SQLModel, table=True):
    """An accepted message whose handling had not committed when the platform heard 200:
    the copy a restart (or the web process's sweep) handles, exactly once through the dedupe
    record, before it is deleted."""

    __tablename__ = "pending_inbound"
    __table_args__ = (UniqueConstraint("channel", "dedupe_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    dedupe_key: str = Field(max_length=255)
    payload: str = Field(sa_column=Column(EncryptedText(), nullable=False))
    received_at: datetime = Field(sa_column=utc_column(index=True))


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"


class OutboxMessage(SQLModel, table=True):
    """One outgoing message to one recipient; written in the transaction that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_inbox", "channel", "person_id", "id"),
        # The rate limit counts a person's replies of the last minute (inbound_rate).
        Index("ix_outbox_person_recent", "channel", "person_id", "created_at"),
        # The per-member cap (outbox.recent_sends) looks at each recipient's recent sends.
        Index("ix_outbox_recent", "channel", "recipient", "sent_at"),
        # The claim sends a recipient's rows in order (outbox._earlier_in_line): it looks for
        # their unfinished rows only, a handful at most, never their whole history.
        Index(
            "ix_outbox_in_line",
            "channel",
            "recipient",
            "id",
            postgresql_where=text("status IN ('queued', 'retrying', 'sending')"),
            sqlite_where=text("status IN ('queued', 'retrying', 'sending')"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    recipient: str = Field(max_length=128)
    idempotency_key: str = Field(unique=True, max_length=255)
    payload: str = Field(sa_column=Column(EncryptedText(), nullable=False))
    content_key: str = Field(max_length=64, description="hash of channel+payload, for batching")
    batch_id: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(default=OutboxStatus.QUEUED, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=utc_column())
    lease_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_error: str | None = Field(default=None, max_length=500)
    platform_msgid: str | None = Field(default=None, max_length=128)
    response_code: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(sa_column=utc_column())
    sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class ApiToken(SQLModel, table=True):
    """A platform access token shared by every process (WeCom, DingTalk)."""

    __tablename__ = "api_token"

    key: str = Field(primary_key=True, max_length=128)
    token: str = Field(sa_column=Column(EncryptedText(), nullable=False))
    expires_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())


class ChannelHealth(SQLModel, table=True):
    """The last loud configuration problem a channel met (e.g. WeCom 60020), for /healthz."""

    __tablename__ = "channel_health"

    channel: str = Field(primary_key=True, max_length=16)
    problem: str | None = Field(default=None, max_length=500)
    at: datetime = Field(sa_column=utc_column())
