"""A student's case file (档案表) as its sections read it: the file row, the problem described
per category (问题类型及问题描述), and the one write every editor uses (forms, 摸排, import)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from messages.render import render
from storage.models import CaseFile, CaseProblem, Category, StudentCategory

PHYSICAL = "physical_condition"
"""The one category whose ledger sheet adds 班主任核实情况 (CaseProblem.verification)."""
FALLBACK_CATEGORY = "other"
"""A student with no category yet (key attention only) describes the problem under 其他."""
PLAN_AREAS = ("plan_academic", "plan_psych", "plan_financial", "plan_employment")
FILE_FIELDS = ("life_history", *PLAN_AREAS)
"""The case file's own text fields a section writes (the problems live in CaseProblem)."""
PROBLEM = "problem_"
VERIFICATION = "verification"
OPEN, CLOSED = "open", "closed"
PROBLEM_MAX, HISTORY_MAX, PLAN_MAX = 300, 500, 300
"""The longest text of a problem (or its verification), the life history and a plan area:
the same in the chat and the import."""


def field_label(name: str) -> str:
    """The words of a field that is not a problem description (班主任核实情况, the life history,
    a plan area): the chat's forms and the import's header say the same."""
    return render("case_field_label", field=name)


def problem_field(code: str) -> str:
    """The field name of a category's problem description (a form step, an import column)."""
    return f"{PROBLEM}{code}"


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """What `档案` shows: the file (None before anything was written) and its problems."""

    student_id: int
    file: CaseFile | None
    categories: tuple[Category, ...]
    problems: Mapping[str, CaseProblem] = field(default_factory=dict)

    @property
    def closed(self) -> bool:
        return self.file is not None and self.file.status == CLOSED

    def values(self) -> dict[str, str | None]:
        """Every section field's stored text by field name (the forms' old values)."""
        found: dict[str, str | None] = {
            name: getattr(self.file, name) if self.file else None for name in FILE_FIELDS
        }
        for code, problem in self.problems.items():
            found[problem_field(code)] = problem.description
            if code == PHYSICAL:
                found[VERIFICATION] = problem.verification
        return found


async def student_categories(session: AsyncSession, student_id: int) -> tuple[Category, ...]:
    """The student's categories in ledger order; 其他 when they have none."""
    query = (
        select(Category)
        .join(StudentCategory, col(StudentCategory.category_code) == col(Category.code))
        .where(StudentCategory.student_id == student_id)
        .order_by(col(Category.sort_order), col(Category.code))
    )
    found = tuple((await session.exec(query)).all())
    if found:
        return found
    other = await session.get(Category, FALLBACK_CATEGORY)
    return (other,) if other else ()


async def record_of(session: AsyncSession, student_id: int) -> CaseRecord:
    case = (await session.exec(select(CaseFile).where(CaseFile.student_id == student_id))).first()
    query = select(CaseProblem).where(CaseProblem.student_id == student_id)
    problems = {p.category_code: p for p in (await session.exec(query)).all()}
    categories = await student_categories(session, student_id)
    return CaseRecord(student_id, case, categories, problems)


async def ensure_file(
    session: AsyncSession, student_id: int, *, now: datetime, counsellor_id: int | None = None
) -> CaseFile:
    """The student's file, opened now when there is none."""
    case = (await session.exec(select(CaseFile).where(CaseFile.student_id == student_id))).first()
    if case is None:
        case = CaseFile(
            student_id=student_id, counsellor_id=counsellor_id, opened_at=now, updated_at=now
        )
        session.add(case)
        await session.flush()
    return case


async def write_sections(
    session: AsyncSession,
    student_id: int,
    *,
    values: Mapping[str, str | None],
    by: int | None,
    now: datetime,
    surveyed: bool = False,
) -> CaseFile:
    """Store the given fields (FILE_FIELDS, problem_<code>, verification); fields not given
    keep their value. `surveyed`: this write was a 摸排 walk-through."""
    case = await ensure_file(session, student_id, now=now, counsellor_id=by)
    for name in FILE_FIELDS:
        if name in values:
            setattr(case, name, values[name])
    case.updated_at, case.updated_by = now, by
    if surveyed:
        case.surveyed_at = now
    session.add(case)
    await _write_problems(session, student_id, values=values, by=by, now=now)
    await session.flush()
    return case


async def _write_problems(
    session: AsyncSession,
    student_id: int,
    *,
    values: Mapping[str, str | None],
    by: int | None,
    now: datetime,
) -> None:
    codes = [name.removeprefix(PROBLEM) for name in values if name.startswith(PROBLEM)]
    if VERIFICATION in values and PHYSICAL not in codes:
        codes.append(PHYSICAL)
    for code in codes:
        problem = await session.get(CaseProblem, (student_id, code))
        if problem is None:
            problem = CaseProblem(student_id=student_id, category_code=code, updated_at=now)
        if problem_field(code) in values:
            problem.description = values[problem_field(code)]
        if code == PHYSICAL and VERIFICATION in values:
            problem.verification = values[VERIFICATION]
        problem.updated_at, problem.updated_by = now, by
        session.add(problem)


async def files_of(session: AsyncSession, student_ids: Sequence[int]) -> dict[int, CaseFile]:
    """The case files of these students (those who have one)."""
    query = select(CaseFile).where(col(CaseFile.student_id).in_(set(student_ids)))
    return {case.student_id: case for case in (await session.exec(query)).all()}
