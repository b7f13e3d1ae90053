"""SQLModel tables: people, teams, categories, accounts, case files, logs and plumbing."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.columns import UTCDateTime
from storage.crypto import EncryptedText


def _utc(nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


def _secret() -> Column[str]:
    return Column(EncryptedText(), nullable=True)


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
    graduation_year: int | None = None
    phone: str | None = Field(default=None, sa_column=_secret())
    guardian_name: str | None = Field(default=None, sa_column=_secret())
    guardian_phone: str | None = Field(default=None, sa_column=_secret())
    created_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())


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


class Assignment(SQLModel, table=True):
    """One seat of a student's 1+1+1 team."""

    student_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    role: str = Field(primary_key=True, max_length=32)
    mentor_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")


class MessengerAccount(SQLModel, table=True):
    __tablename__ = "messenger_account"
    __table_args__ = (UniqueConstraint("channel", "account_key"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    channel: str = Field(max_length=16)
    account: str = Field(max_length=128)
    account_key: str = Field(max_length=128, description="account lowercased for lookups")


class CaseFile(SQLModel, table=True):
    """档案表 (seed 001 附件2): one open case per student, with the 一生一策 plan."""

    __tablename__ = "case_file"

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="person.id", unique=True, ondelete="CASCADE")
    counsellor_id: int | None = Field(default=None, foreign_key="person.id")
    opened_at: datetime = Field(sa_column=_utc())
    problem_type: str | None = Field(default=None, max_length=64)
    problem_description: str | None = Field(default=None, sa_column=_secret())
    life_history: str | None = Field(default=None, sa_column=_secret())
    plan: str | None = Field(default=None, sa_column=_secret())
    close_suggested: bool = False
    updated_at: datetime = Field(sa_column=_utc())


class VisitLog(SQLModel, table=True):
    """One contact with a student (辅导记录): who, what kind, when, where, summary, effect, risk."""

    __tablename__ = "visit_log"
    __table_args__ = (
        Index("ix_visit_log_student_time", "student_id", "occurred_at"),
        # the due evaluation (storage/due.py) finds each rule's contacts through this
        Index("ix_visit_log_kind_student", "kind", "student_id", "occurred_at", "author_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    author_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=32)
    occurred_at: datetime = Field(sa_column=_utc())
    place: str | None = Field(default=None, max_length=64)
    summary: str | None = Field(default=None, sa_column=_secret())
    effect: str | None = Field(default=None, max_length=16)
    risk: bool = False
    risk_description: str | None = Field(default=None, sa_column=_secret())
    follow_up: str | None = Field(default=None, sa_column=_secret())
    created_at: datetime = Field(sa_column=_utc())


class Conversation(SQLModel, table=True):
    """The state of one person's form on one channel; data is encrypted JSON."""

    __table_args__ = (UniqueConstraint("person_id", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    channel: str = Field(max_length=16)
    form: str = Field(max_length=64)
    step: str = Field(max_length=64)
    data: str | None = Field(default=None, sa_column=_secret())
    updated_at: datetime = Field(sa_column=_utc())


class InboundMessage(SQLModel, table=True):
    """Dedupe record of a callback delivery; the unique key makes a retry a no-op."""

    __tablename__ = "inbound_message"
    __table_args__ = (UniqueConstraint("channel", "dedupe_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    dedupe_key: str = Field(max_length=255)
    received_at: datetime = Field(sa_column=_utc(index=True))


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
    next_attempt_at: datetime = Field(sa_column=_utc())
    lease_until: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    last_error: str | None = Field(default=None, max_length=500)
    platform_msgid: str | None = Field(default=None, max_length=128)
    response_code: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(sa_column=_utc())
    sent_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class AuditEntry(SQLModel, table=True):
    """Who did or tried what; never holds sensitive field values."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_utc(index=True))
    actor_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    channel: str | None = Field(default=None, max_length=16)
    account: str | None = Field(default=None, max_length=128)
    action: str = Field(max_length=64, index=True)
    subject_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    detail: str | None = Field(default=None, max_length=1000)


class ApiToken(SQLModel, table=True):
    """A platform access token shared by every process (WeCom, DingTalk)."""

    __tablename__ = "api_token"

    key: str = Field(primary_key=True, max_length=128)
    token: str = Field(sa_column=Column(EncryptedText(), nullable=False))
    expires_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())


class ChannelHealth(SQLModel, table=True):
    """The last loud configuration problem a channel met (e.g. WeCom 60020), for /healthz."""

    __tablename__ = "channel_health"

    channel: str = Field(primary_key=True, max_length=16)
    problem: str | None = Field(default=None, max_length=500)
    at: datetime = Field(sa_column=_utc())


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
    detail: str | None = Field(default=None, sa_column=_secret())
    context_id: int | None = Field(
        default=None,
        foreign_key="person.id",
        ondelete="SET NULL",
        description="the student a student writer's open form was about (context, not subject)",
    )
    status: str = Field(default=AlertStatus.OPEN, max_length=16)
    level: int = 1
    created_at: datetime = Field(sa_column=_utc())
    escalate_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    acknowledged_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
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
    created_at: datetime = Field(sa_column=_utc())


class AlertRecipient(SQLModel, table=True):
    """Who was sent an alert, and from which level on: the people who may acknowledge it."""

    __tablename__ = "alert_recipient"

    alert_id: int = Field(foreign_key="alert.id", primary_key=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    level: int = 1


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
    note: str | None = Field(default=None, sa_column=_secret())
    created_at: datetime = Field(sa_column=_utc())


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
    created_at: datetime = Field(sa_column=_utc())


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
    received_at: datetime = Field(sa_column=_utc(index=True))


class KeyCheck(SQLModel, table=True):
    """One known text encrypted with CAREBOT_DATA_KEY by `carebot db upgrade`: a process given
    another key finds it does not decrypt and refuses to start (storage/keycheck.py). A Fernet
    token in a plain column, not EncryptedText: no person's data, and it must be read raw."""

    __tablename__ = "key_check"

    id: int | None = Field(default=None, primary_key=True)
    canary: str = Field(sa_column=Column(Text(), nullable=False))
