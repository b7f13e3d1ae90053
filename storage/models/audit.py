"""The audit log and the data-key check."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from storage.models.base import utc_column


class AuditEntry(SQLModel, table=True):
    """Who did or tried what; never holds sensitive field values."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=utc_column(index=True))
    actor_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    channel: str | None = Field(default=None, max_length=16)
    account: str | None = Field(default=None, max_length=128)
    action: str = Field(max_length=64, index=True)
    subject_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    detail: str | None = Field(default=None, max_length=1000)


class KeyCheck(SQLModel, table=True):
    """One known text encrypted with CAREBOT_DATA_KEY by `carebot db upgrade`: a process given
    another key finds it does not decrypt and refuses to start (storage/keycheck.py). A Fernet
    token in a plain column, not EncryptedText: no person's data, and it must be read raw."""

    __tablename__ = "key_check"

    id: int | None = Field(default=None, primary_key=True)
    canary: str = Field(sa_column=Column(Text(), nullable=False))
