"""The care record: case files (档案表), visit logs (辅导记录) and weekly reports (周报)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.base import secret_column, utc_column


class CaseFile(SQLModel, table=True):
    """档案表 (seed 001 附件2): one open case per student, with the 一生一策 plan."""

    __tablename__ = "case_file"

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="person.id", unique=True, ondelete="CASCADE")
    counsellor_id: int | None = Field(default=None, foreign_key="person.id")
    opened_at: datetime = Field(sa_column=utc_column())
    problem_type: str | None = Field(default=None, max_length=64)
    problem_description: str | None = Field(default=None, sa_column=secret_column())
    life_history: str | None = Field(default=None, sa_column=secret_column())
    plan: str | None = Field(default=None, sa_column=secret_column())
    close_suggested: bool = False
    updated_at: datetime = Field(sa_column=utc_column())


class VisitLog(SQLModel, table=True):
    """One contact with a student (辅导记录): who, what kind, when, where, summary, effect, risk."""

    __tablename__ = "visit_log"
    __table_args__ = (
        Index("ix_visit_log_student_time", "student_id", "occurred_at"),
        # the due evaluation (storage/due/evaluate.py) finds each rule's contacts through this
        Index("ix_visit_log_kind_student", "kind", "student_id", "occurred_at", "author_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    author_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=32)
    occurred_at: datetime = Field(sa_column=utc_column())
    place: str | None = Field(default=None, max_length=64)
    summary: str | None = Field(default=None, sa_column=secret_column())
    effect: str | None = Field(default=None, max_length=16)
    risk: bool = False
    risk_description: str | None = Field(default=None, sa_column=secret_column())
    follow_up: str | None = Field(default=None, sa_column=secret_column())
    created_at: datetime = Field(sa_column=utc_column())


class WeeklyReport(SQLModel, table=True):
    """周报 for a key-attention student: status, contacts this week and a note."""

    __tablename__ = "weekly_report"
    __table_args__ = (UniqueConstraint("student_id", "week_start"),)

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    author_id: int = Field(foreign_key="person.id")
    week_start: date
    status: str = Field(max_length=8, description="稳定 | 波动 | 危险")
    contacts: int = 0
    note: str | None = Field(default=None, sa_column=secret_column())
    created_at: datetime = Field(sa_column=utc_column())
