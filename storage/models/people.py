"""People, their roles and accounts, categories and the 1+1+1 team seats."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.base import secret_column, utc_column


class PersonKind(StrEnum):
    STUDENT = "student"
    STAFF = "staff"


class Role(StrEnum):
    """What a person may do; staff roles come from the roster, peer_mentor from assignments."""

    ACADEMIC_MENTOR = "academic_mentor"
    COUNSELLOR = "counsellor"
    CLASS_TEACHER = "class_teacher"
    COLLEGE_ADMIN = "college_admin"
    SCHOOL_ADMIN = "school_admin"
    PSYCH_CENTER = "psych_center"
    CAREER_GUIDANCE = "career_guidance"
    PEER_MENTOR = "peer_mentor"
    STUDENT = "student"
    PSYCH_COMMITTEE = "psych_committee"
    """A class's psychological committee member (心理委员): a student, from the roster."""
    DORM_HEAD = "dorm_head"
    """A dorm's contact (寝室长): a student, from the roster."""


class TeamRole(StrEnum):
    """The three seats of a student's 1+1+1 team."""

    ACADEMIC_MENTOR = "academic_mentor"
    STUDENT_AFFAIRS = "student_affairs"
    PEER_MENTOR = "peer_mentor"


class Channel(StrEnum):
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    SIMULATOR = "simulator"


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True, max_length=16)
    code: str = Field(unique=True, max_length=32)
    name: str = Field(max_length=64, index=True)
    gender: str | None = Field(default=None, max_length=8)
    college: str | None = Field(default=None, max_length=64, index=True)
    major: str | None = Field(default=None, max_length=64)
    class_name: str | None = Field(default=None, max_length=64)
    grade: str | None = Field(default=None, max_length=16)
    dorm: str | None = Field(default=None, max_length=64)
    native_place: str | None = Field(default=None, max_length=64)
    birth_date: date | None = None
    key_attention: bool = False
    key_attention_since: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    """When the key-attention flag was last set (None while it is off): its clocks start then."""
    graduation_year: int | None = None
    phone: str | None = Field(default=None, sa_column=secret_column())
    guardian_name: str | None = Field(default=None, sa_column=secret_column())
    guardian_phone: str | None = Field(default=None, sa_column=secret_column())
    privacy_notice_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    """When the privacy notice was first shown (handlers/privacy.py); None: not yet."""
    archived_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    """When `carebot retention apply` archived the student (storage/retention.py): sensitive
    fields removed, no longer matched as a sender; None while active."""
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())


class PersonRole(SQLModel, table=True):
    __tablename__ = "person_role"

    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    role: str = Field(primary_key=True, max_length=32)


class Category(SQLModel, table=True):
    """A special-group category (seed 000's six, seed 001's seven), loaded from a data file."""

    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(unique=True, max_length=32)
    scheme: str = Field(max_length=16)
    sensitive: bool = True
    ledger_column: str | None = Field(default=None, max_length=128)
    sort_order: int = 0


class StudentCategory(SQLModel, table=True):
    __tablename__ = "student_category"

    student_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    category_code: str = Field(foreign_key="category.code", primary_key=True, max_length=32)
    since: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    """When the student got the category: the clocks of rules for it start then (None: from
    before anything is evaluated)."""


class Assignment(SQLModel, table=True):
    """One seat of a student's 1+1+1 team."""

    student_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    role: str = Field(primary_key=True, max_length=32)
    mentor_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    assigned_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    """When the holder took the seat: the seat's clocks start then (None: from before
    anything is evaluated)."""


class MessengerAccount(SQLModel, table=True):
    __tablename__ = "messenger_account"
    __table_args__ = (UniqueConstraint("channel", "account_key"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    channel: str = Field(max_length=16)
    account: str = Field(max_length=128)
    account_key: str = Field(max_length=128, description="account lowercased for lookups")
