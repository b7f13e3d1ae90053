"""`carebot grades import FILE.xlsx`: every row checked, then the special students' grades
written all or nothing. Importing a semester again replaces that semester's grades of the
students in the file, so a corrected file can simply be imported once more."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import and_, delete, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.academic.sheet import (
    COURSE_COLUMN,
    STUDENT_COLUMN,
    GradeImportError,
    GradeLine,
    SemesterLookup,
    problem,
    read_grades,
)
from storage.models import Grade, Person, PersonKind, StudentCategory
from storage.roster.sheet import ROW

__all__ = ["GradeImport", "GradeImportError", "import_grades"]


@dataclass
class GradeImport:
    sheet: str = ""
    rows: int = 0
    """Rows read from the sheet."""
    grades: list[Grade] = field(default_factory=list)
    """What was stored: the special students' rows."""
    skipped: int = 0
    """Rows of students outside the special groups: read and dropped, never stored."""
    semesters: dict[tuple[int, str], date] = field(default_factory=dict)
    """(student id, semester name) → the semester's first day, for each pair stored."""


async def import_grades(
    session: AsyncSession,
    path: Path,
    *,
    semesters: SemesterLookup,
    now: datetime,
    dry_run: bool = False,
) -> GradeImport:
    """Read and check every row, then replace the grades of each (student, semester) in the
    file in the caller's transaction (nothing when any row has a problem, or with `dry_run`)."""
    sheet = read_grades(path, semesters=semesters)
    students, special = await _students(session, {line.student_code for line in sheet.lines})
    _check(sheet.lines, students)
    found = GradeImport(sheet=sheet.sheet, rows=len(sheet.lines))
    for line in sheet.lines:
        student_id = students[line.student_code]
        if student_id not in special:
            found.skipped += 1
            continue
        found.grades.append(_grade(line, student_id, now))
        found.semesters[(student_id, line.semester.name)] = line.semester.start
    if not dry_run:
        await _replace(session, found)
    return found


async def _students(session: AsyncSession, codes: set[str]) -> tuple[dict[str, int], set[int]]:
    """学号 → student id for the students the roster knows, and which of them are special
    (a category, or key attention: those with a 1+1+1 team)."""
    query = select(Person.code, Person.id, Person.key_attention).where(
        Person.kind == PersonKind.STUDENT, col(Person.code).in_(codes)
    )
    rows = (await session.exec(query)).all()
    students = {code: pid for code, pid, _ in rows if pid is not None}
    special = {pid for _, pid, key in rows if pid is not None and key}
    if students:
        categorised = select(StudentCategory.student_id).where(
            col(StudentCategory.student_id).in_(set(students.values()))
        )
        special |= set((await session.exec(categorised)).all())
    return students, special


def _check(lines: Sequence[GradeLine], students: dict[str, int]) -> None:
    """Unknown 学号 and a course listed twice for one student and semester are problems."""
    problems: list[str] = []
    first: dict[tuple[str, str, str], int] = {}
    for line in lines:
        where = ROW.format(row=line.row)
        if line.student_code not in students:
            unknown = problem("unknown_student", value=line.student_code)
            problems.append(f"{where} {STUDENT_COLUMN}: {unknown}")
        key = (line.student_code, line.semester.name, line.course_code)
        if key in first:
            problems.append(f"{where} {COURSE_COLUMN}: {problem('repeated', first=first[key])}")
        first.setdefault(key, line.row)
    if problems:
        raise GradeImportError(problems)


def _grade(line: GradeLine, student_id: int, now: datetime) -> Grade:
    return Grade(
        student_id=student_id,
        semester=line.semester.name,
        course_code=line.course_code,
        course_name=line.course_name,
        nature=line.nature,
        credits=line.credits,
        score=line.score,
        letter=line.letter,
        passed=line.mark.passed,
        points=line.mark.points,
        retake=line.retake,
        department=line.department,
        teacher=line.teacher,
        imported_at=now,
    )


async def _replace(session: AsyncSession, found: GradeImport) -> None:
    pairs = list(found.semesters)
    for start in range(0, len(pairs), 400):  # bounded statements, whatever the file's size
        chunk = pairs[start : start + 400]
        matches = [
            and_(col(Grade.student_id) == sid, col(Grade.semester) == name) for sid, name in chunk
        ]
        await session.exec(delete(Grade).where(or_(*matches)))
    session.add_all(found.grades)
    await session.flush()
