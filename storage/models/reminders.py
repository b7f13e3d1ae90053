"""The reminder log: one row per person, kind and day, so nothing is sent twice."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.base import utc_column


class ReminderLog(SQLModel, table=True):
    """A reminder (daily digest, semester task) recorded per person per day before sending,
    so a job that runs twice, or a clock that restarts, never sends it twice."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("person_id", "kind", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    kind: str = Field(max_length=32, description="digest | survey | ledger | completeness | ...")
    day: date
    items: int = 0
    created_at: datetime = Field(sa_column=utc_column())
