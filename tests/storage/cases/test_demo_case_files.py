"""The demo's case files fill every section: a problem per category in its ledger column, the
life history and the four plan areas, so the ledger and the 档案表 from the demo are full."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.demo.load import load_demo
from storage.models import CaseFile, CaseProblem, StudentCategory

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


async def test_every_special_student_has_a_problem_per_category_and_plans(
    session: AsyncSession,
) -> None:
    summary = await load_demo(session, now=NOW, students=150)
    await session.commit()
    categories = {
        (r.student_id, r.category_code) for r in (await session.exec(select(StudentCategory))).all()
    }
    problems = (await session.exec(select(CaseProblem))).all()
    assert {(p.student_id, p.category_code) for p in problems} == categories
    assert all(p.description for p in problems)
    physical = [p for p in problems if p.category_code == "physical_condition"]
    assert all(p.verification for p in physical)
    assert all(p.verification is None for p in problems if p.category_code != "physical_condition")
    files = (await session.exec(select(CaseFile))).all()
    planned = [f for f in files if f.plan]
    assert len(files) == summary.case_files and planned
    assert all(
        f.plan_academic and f.plan_psych and f.plan_financial and f.plan_employment for f in planned
    )
    assert all(f.plan_academic is None for f in files if not f.plan)
    assert all(f.life_history and f.status == "open" for f in files)
