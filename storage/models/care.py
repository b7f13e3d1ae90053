"""The care record: case files (档案表) with their problems and closing, visit logs (辅导记录)
and weekly reports (周报)."""

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
    """The 一生一策 plan as a whole; the four areas below are its parts (辅导方案)."""
    plan_academic: str | None = Field(default=None, sa_column=secret_column())
    plan_psych: str | None = Field(default=None, sa_column=secret_column())
    plan_financial: str | None = Field(default=None, sa_column=secret_column())
    plan_employment: str | None = Field(default=None, sa_column=secret_column())
    close_suggested: bool = False
    """The bot suggested closing (a run of good effect assessments); cleared on reopening."""
    status: str = Field(default="open", max_length=16, description="open | closed")
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    surveyed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    """When the last 摸排 walked through this file (the start-of-semester survey)."""
    updated_at: datetime = Field(sa_column=utc_column())
    updated_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")


class CaseProblem(SQLModel, table=True):
    """问题类型及问题描述 for one of the student's categories, in the words of the ledger column
    (seed 001 附件1): e.g. 家庭经济状况和存在问题 for 家庭经济困难."""

    __tablename__ = "case_problem"

    student_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    category_code: str = Field(foreign_key="category.code", primary_key=True, max_length=32)
    description: str | None = Field(default=None, sa_column=secret_column())
    verification: str | None = Field(default=None, sa_column=secret_column())
    """班主任核实情况: only the 生理缺陷 sheet has this column."""
    updated_at: datetime = Field(sa_column=utc_column())
    updated_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")


class CaseClosure(SQLModel, table=True):
    """A proposal to close a case file (建议撤销建档) and its decision (批准 / 驳回)."""

    __tablename__ = "case_closure"
    __table_args__ = (Index("ix_case_closure_student", "student_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    proposer_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    reason: str | None = Field(default=None, sa_column=secret_column())
    status: str = Field(default="pending", max_length=16, description="pending|approved|rejected")
    decided_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    decision_note: str | None = Field(default=None, sa_column=secret_column())
    created_at: datetime = Field(sa_column=utc_column())


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
