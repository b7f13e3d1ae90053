"""Work asked for in a chat that takes too long for a callback (a school's digests now; the
ledgers and statistics next): stored with the message that asked, done by a runner."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.models.base import utc_column


class WorkStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class WorkRequest(SQLModel, table=True):
    """One piece of requested work; `args` is JSON with no sensitive field (a college's name,
    a semester), the work itself reads what it needs."""

    __tablename__ = "work_request"
    __table_args__ = (Index("ix_work_request_due", "status", "lease_until"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    args: str = Field(default="{}", max_length=2000)
    requested_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    status: str = Field(default=WorkStatus.QUEUED, max_length=16)
    attempts: int = 0
    lease_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(sa_column=utc_column())
    finished_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
