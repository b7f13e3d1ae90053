"""Job postings and the students' applications (报名); surveys, their recipients and answers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.models.base import secret_column, utc_column


class JobPosting(SQLModel, table=True):
    """One job posting (岗位), published by form or imported from a workbook."""

    __tablename__ = "job_posting"

    id: int | None = Field(default=None, primary_key=True)
    publisher_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="SET NULL"
    )
    title: str = Field(max_length=128)
    employer: str = Field(max_length=128)
    place: str = Field(max_length=64)
    salary: str | None = Field(default=None, max_length=64)
    majors: str = Field(default="", max_length=500)
    """The majors it is meant for, separated by 「、」; empty means every major."""
    deadline: date = Field(index=True)
    """The last day to apply (in the school's time zone)."""
    how_to_apply: str = Field(max_length=500)
    link: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=utc_column())
    pushed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    """When the publisher pushed it to the matching graduating students."""


class JobApplication(SQLModel, table=True):
    """A student's 报名: interest in a posting, recorded once."""

    __tablename__ = "job_application"
    __table_args__ = (Index("ix_job_application_student", "student_id", "posting_id"),)

    posting_id: int = Field(foreign_key="job_posting.id", primary_key=True, ondelete="CASCADE")
    student_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    created_at: datetime = Field(sa_column=utc_column())


class Survey(SQLModel, table=True):
    """One survey sent to an audience: which survey definition, who sent it, until when."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    """The survey definition's name (storage/data/surveys.toml)."""
    sender_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="SET NULL"
    )
    audience: str | None = Field(default=None, sa_column=secret_column())
    """The filters as typed: a category filter is sensitive."""
    deadline: date | None = None
    created_at: datetime = Field(sa_column=utc_column())
    reminded_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    """When those who had not answered were last reminded (调查催办: at most once a day)."""


class SurveyRecipient(SQLModel, table=True):
    """One person a survey was sent to, and when they finished it."""

    __tablename__ = "survey_recipient"
    __table_args__ = (Index("ix_survey_recipient_person", "person_id", "survey_id"),)

    survey_id: int = Field(foreign_key="survey.id", primary_key=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    answered_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class SurveyAnswer(SQLModel, table=True):
    """One answer to one question; free text is encrypted (it may say anything)."""

    __tablename__ = "survey_answer"

    survey_id: int = Field(foreign_key="survey.id", primary_key=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    question: str = Field(primary_key=True, max_length=32)
    choice: str | None = Field(default=None, max_length=64)
    text: str | None = Field(default=None, sa_column=secret_column())
