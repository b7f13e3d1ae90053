"""Aid postings, aid applications and their decisions, help requests and concern reports."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from storage.models.base import secret_column, utc_column


class AidKind(StrEnum):
    """The kinds of aid a posting offers (奖贷助减勤代补, seed 000 §三(二))."""

    GRANT = "国家助学金"
    INSPIRATION = "国家励志奖学金"
    LOAN = "助学贷款"
    WORK_STUDY = "勤工助学"
    HARDSHIP = "临时困难补助"
    SOCIAL = "社会奖助学金"


class AidPosting(SQLModel, table=True):
    """One aid item (资助) published by an admin or counsellor, for the students in the
    publisher's reach: the whole school, one college, or one teacher's students."""

    __tablename__ = "aid_posting"

    id: int | None = Field(default=None, primary_key=True)
    publisher_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="SET NULL"
    )
    name: str = Field(max_length=128)
    kind: str = Field(max_length=32)
    eligibility: str = Field(max_length=500)
    """Who may apply, as the publisher wrote it."""
    deadline: date = Field(index=True)
    """The last day to apply (in the school's time zone)."""
    how_to_apply: str = Field(max_length=500)
    scope_college: str | None = Field(default=None, max_length=64)
    """The college it is for; with `scope_teacher_id` None as well: the whole school."""
    scope_teacher_id: int | None = Field(default=None, foreign_key="person.id", ondelete="CASCADE")
    """For the students whose student-affairs teacher this is."""
    created_at: datetime = Field(sa_column=utc_column())


class AidStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class AidApplication(SQLModel, table=True):
    """A student's 申请补助 and the student-affairs teacher's decision: kept for the case file
    and the ledger's 帮扶措施."""

    __tablename__ = "aid_application"

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    teacher_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="SET NULL"
    )
    reason: str | None = Field(default=None, sa_column=secret_column())
    need: str | None = Field(default=None, sa_column=secret_column())
    status: str = Field(default=AidStatus.PENDING, max_length=16)
    note: str | None = Field(default=None, sa_column=secret_column())
    """The teacher's 备注 with the decision."""
    decided_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(sa_column=utc_column())


class HelpRequest(SQLModel, table=True):
    """A student's 求助: what they wrote, to whom it went."""

    __tablename__ = "help_request"

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    teacher_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    text: str | None = Field(default=None, sa_column=secret_column())
    created_at: datetime = Field(sa_column=utc_column())


class ConcernReport(SQLModel, table=True):
    """A 心理委员's or 寝室长's 上报 about a classmate: sent to the classmate's counsellor only;
    the classmate is never told who reported."""

    __tablename__ = "concern_report"

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    reporter_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    teacher_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    text: str | None = Field(default=None, sa_column=secret_column())
    created_at: datetime = Field(sa_column=utc_column())
