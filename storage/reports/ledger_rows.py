"""The ledger's rows for a semester (and a college): set-wise reads, one query per table, for
every student in care over the semester (storage/cases/population.py). Runs on the reader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.academic.ledger import academic_texts
from storage.cases.population import in_care, memberships
from storage.exports.ledger_xlsx import ledger_xlsx
from storage.models import (
    AidApplication,
    AidStatus,
    Assignment,
    CaseFile,
    CaseProblem,
    Category,
    Person,
    VisitLog,
)
from storage.reports import ledger_cells as cells
from storage.reports.ledger_cells import Student

ACADEMIC = "academic_difficulty"  # the sheet whose column comes from the grades
_PERSON = Person.__table__  # type: ignore[attr-defined]
_CASE = CaseFile.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class LedgerScope:
    semester: str
    """The policy semester's name (the grades are stored by it)."""
    start: datetime
    end: datetime
    """[start, end): the semester's days as aware datetimes."""
    college: str | None
    tz: ZoneInfo


async def ledger_students(session: AsyncSession, scope: LedgerScope) -> list[Student]:
    """Every student in the scope's ledger, by class, name and 学号, with what their rows show."""
    eligible = _eligible(scope)
    students = await _students(session, eligible)
    if not students:
        return []
    by_id = {student.id: student for student in students}
    held = memberships(scope.start, scope.end, scope.college)
    for student_id, code in await _rows(session, held):
        by_id[student_id].categories.append(code)
    for student_id, code, description, verification in await _rows(session, _problems(eligible)):
        by_id[student_id].problems[code] = (description or "", verification or "")
    for student_id, kind, count in await _rows(session, _counts(eligible, scope)):
        by_id[student_id].counts.append((kind, int(count)))
    for student_id, at, effect in await _rows(session, _effects(eligible, scope)):
        by_id[student_id].effects.append((at, effect))
    for student_id, status, count in await _rows(session, _aid(eligible, scope)):
        by_id[student_id].aid[status] = int(count)
    seats = await _rows(session, _teams(eligible))
    helpers = {row.id: (row.name, row.phone) for row in await _rows(session, _helpers(eligible))}
    for student_id, seat, mentor_id in seats:
        by_id[student_id].team[seat] = helpers[mentor_id]
    await _academic(session, scope, by_id)
    return sorted(students, key=lambda s: (s.class_name, s.name, s.code))


async def ledger_categories(session: AsyncSession) -> list[tuple[str, str, str, str | None]]:
    """(code, name, scheme, ledger_column) of every category, in the data file's order."""
    table = Category.__table__.c  # type: ignore[attr-defined]
    query = select(table.code, table.name, table.scheme, table.ledger_column)
    rows = await _rows(session, query.order_by(table.sort_order))
    return [(code, name, scheme, column) for code, name, scheme, column in rows]


def _eligible(scope: LedgerScope) -> Select[Any]:
    """The students on the ledger: those in care over the semester, as the statistics count."""
    return in_care(scope.start, scope.end, scope.college)


async def _rows(session: AsyncSession, query: Select[Any]) -> list[Any]:
    # Core rows: no ORM identity map for thousands of students (the columns still decrypt)
    return list((await (await session.connection()).execute(query)).all())


async def _students(session: AsyncSession, eligible: Select[Any]) -> list[Student]:
    person, case = _PERSON.c, _CASE.c
    query = (
        select(
            person.id,
            person.code,
            person.name,
            person.gender,
            person.class_name,
            person.dorm,
            person.phone,
            person.guardian_name,
            person.guardian_phone,
            person.key_attention,
            case.problem_type,
            case.problem_description,
            case.plan,
            case.plan_academic,
            case.plan_psych,
            case.plan_financial,
            case.plan_employment,
            case.status,
            case.closed_at,
        )
        .outerjoin(_CASE, case.student_id == person.id)  # no file yet: the roster's categories
        .where(person.id.in_(eligible))
    )
    return [cells.student_of(row) for row in await _rows(session, query)]


def _problems(eligible: Select[Any]) -> Select[Any]:
    table = CaseProblem.__table__.c  # type: ignore[attr-defined]
    return select(
        table.student_id, table.category_code, table.description, table.verification
    ).where(table.student_id.in_(eligible))


def _counts(eligible: Select[Any], scope: LedgerScope) -> Select[Any]:
    """Logged help per student and kind within the semester, most frequent first."""
    table = VisitLog.__table__.c  # type: ignore[attr-defined]
    counted = func.count().label("n")
    return (
        select(table.student_id, table.kind, counted)
        .where(table.student_id.in_(eligible), *_within(table.occurred_at, scope))
        .group_by(table.student_id, table.kind)
        .order_by(table.student_id, counted.desc(), table.kind)
    )


def _effects(eligible: Select[Any], scope: LedgerScope) -> Select[Any]:
    table = VisitLog.__table__.c  # type: ignore[attr-defined]
    return (
        select(table.student_id, table.occurred_at, table.effect)
        .where(table.student_id.in_(eligible), table.effect.is_not(None))
        .where(*_within(table.occurred_at, scope))
        .order_by(table.student_id, table.occurred_at, table.id)
    )


def _aid(eligible: Select[Any], scope: LedgerScope) -> Select[Any]:
    table = AidApplication.__table__.c  # type: ignore[attr-defined]
    return (
        select(table.student_id, table.status, func.count())
        .where(table.student_id.in_(eligible), table.status != AidStatus.PENDING)
        .where(*_within(table.decided_at, scope))
        .group_by(table.student_id, table.status)
    )


def _teams(eligible: Select[Any]) -> Select[Any]:
    seat = Assignment.__table__.c  # type: ignore[attr-defined]
    return select(seat.student_id, seat.role, seat.mentor_id).where(seat.student_id.in_(eligible))


def _helpers(eligible: Select[Any]) -> Select[Any]:
    """The team members once each: a teacher of 40 students has one phone to decrypt, not 40."""
    seat, person = Assignment.__table__.c, _PERSON.c  # type: ignore[attr-defined]
    mentors = select(seat.mentor_id).where(seat.student_id.in_(eligible))
    return select(person.id, person.name, person.phone).where(person.id.in_(mentors))


def _within(column: Any, scope: LedgerScope) -> tuple[Any, ...]:
    return (and_(column >= scope.start, column < scope.end),)


async def _academic(session: AsyncSession, scope: LedgerScope, by_id: dict[int, Student]) -> None:
    wanted = [sid for sid, student in by_id.items() if ACADEMIC in student.categories]
    if not wanted:
        return
    found = await academic_texts(session, student_ids=wanted, semester=scope.semester)
    for student_id, text in found.items():
        if student_id in by_id:
            by_id[student_id].academic = text


async def ledger_workbook(
    session: AsyncSession, scope: LedgerScope, head: cells.LedgerHead
) -> tuple[bytes, int]:
    """The ledger file's bytes and how many students it holds (all of it on the reader)."""
    students = await ledger_students(session, scope)
    ledger = cells.ledger_of(students, await ledger_categories(session), head)
    return ledger_xlsx(ledger), len(students)
