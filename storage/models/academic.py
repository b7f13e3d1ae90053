"""Grades (成绩) per student, semester and course, and the academic warning (学业预警) each
special student's semester earns."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.models.base import utc_column


class CourseNature(StrEnum):
    """课程性质 as the grade import reads it."""

    REQUIRED = "必修"
    ELECTIVE = "选修"
    DEGREE = "学位课"


class WarningLevel(StrEnum):
    """学业预警 levels, mildest first (the policy's [academic_warning] sets the thresholds)."""

    YELLOW = "黄色"
    RED = "红色"


class Grade(SQLModel, table=True):
    """One course result of a special student in one semester, as the grade import read it.

    Only special students' grades are kept: the rest of a 教务 export is read and dropped."""

    __tablename__ = "grade"
    __table_args__ = (Index("ix_grade_student_semester", "student_id", "semester"),)

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    semester: str = Field(max_length=32)
    """The policy's semester name (2026-2027学年第一学期)."""
    course_code: str = Field(max_length=32)
    course_name: str = Field(max_length=64)
    nature: str = Field(max_length=8)
    credits: float
    score: float | None = None
    """成绩 (0-100) when the file gave one; else `letter`."""
    letter: str | None = Field(default=None, max_length=8)
    passed: bool
    points: float
    """Grade points (storage/academic/grading.py)."""
    retake: bool = False
    """重修 (a course taken again), else 首修."""
    department: str | None = Field(default=None, max_length=64)
    """开课单位."""
    teacher: str | None = Field(default=None, max_length=64)
    """任课教师."""
    imported_at: datetime = Field(sa_column=utc_column())


class AcademicWarning(SQLModel, table=True):
    """A special student's standing for one semester of grades: the warning level it earned
    (None: no warning) and the highest level the team was told of (never told twice)."""

    __tablename__ = "academic_warning"

    student_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    semester: str = Field(primary_key=True, max_length=32)
    semester_start: date
    """The semester's first day: the student's latest graded semester is the one in force."""
    level: str | None = Field(default=None, max_length=8)
    notified_level: str | None = Field(default=None, max_length=8)
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())
