"""The statistics and the ledger count the same students (storage/cases/population.py):
for the semester, per college and for the school, each category's count in 统计 is the number
of rows on the ledger's sheet for it."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Context, HandlerConfig
from handlers.policy.load import load_policy
from handlers.reports.stats import gather, scope_of
from storage.models import StudentCategory
from storage.reports.ledger_rows import LedgerScope, ledger_categories, ledger_students
from tests.fakes.clock import SHANGHAI
from tests.storage.exports.export_school import NOW, SEMESTER, at, build_school

FIRST, LAST = date(2026, 9, 7), date(2027, 1, 17)  # the shipped policy's autumn semester


def _ctx(session: AsyncSession) -> Context:
    config = HandlerConfig(tz=SHANGHAI, hotline="x", policy=load_policy())
    return Context(session=session, now=NOW, config=config)


async def _ledger_counts(session: AsyncSession, ctx: Context, college: str | None) -> Counter[str]:
    scope = scope_of(ctx, college=college, first=FIRST, last=LAST)
    rows = await ledger_students(
        session, LedgerScope(SEMESTER, scope.start, scope.end, college, SHANGHAI)
    )
    names = {code: name for code, name, _, _ in await ledger_categories(session)}
    return Counter(names[code] for student in rows for code in student.categories)


@pytest.mark.parametrize("college", [None, "计算机学院", "文学院"])
async def test_each_category_counts_the_ledgers_rows(
    session: AsyncSession, college: str | None
) -> None:
    school = await build_school(session)
    # 王五 is given a second category after the semester: neither counts it
    late = StudentCategory(
        student_id=school.ids["S003"], category_code="orphan", since=at(2, 1, 2027)
    )
    session.add(late)
    await session.commit()
    ctx = _ctx(session)

    stats = await gather(ctx, scope_of(ctx, college=college, first=FIRST, last=LAST))
    on_ledger = await _ledger_counts(session, ctx, college)

    assert stats.by_category == dict(on_ledger)
    students = await ledger_students(
        session, LedgerScope(SEMESTER, stats.scope.start, stats.scope.end, college, SHANGHAI)
    )
    assert stats.students == len(students)
    # 赵六 (closed before the semester) is on neither; 李四 (closed in it) and 孙七 (no file) are
    expected = {None: {"S001", "S002", "S003", "S005"}, "计算机学院": {"S001", "S002", "S005"}}
    assert {s.code for s in students} == expected.get(college, {"S003"})
