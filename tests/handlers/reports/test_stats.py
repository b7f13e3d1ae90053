"""The statistics against a hand-counted college (tests/handlers/reports/stats_roster.py)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Context, HandlerConfig
from handlers.policy.load import load_policy
from handlers.reminders.items import due_for
from handlers.reports.stats import default_range, gather, scope_of
from handlers.reports.stats_view import as_json, colleges_seen, summary
from storage.reports.stats_model import Stats
from tests.fakes.care_roster import College
from tests.fakes.clock import SHANGHAI
from tests.handlers.reports.stats_roster import NOW, build_counted


def _ctx(session: AsyncSession) -> Context:
    config = HandlerConfig(tz=SHANGHAI, hotline="x", policy=load_policy())
    return Context(session=session, now=NOW, config=config)


@pytest.fixture
async def college(session: AsyncSession) -> College:
    return await build_counted(session)


async def _stats(session: AsyncSession, college: str | None) -> Stats:
    ctx = _ctx(session)
    first, last = default_range(ctx)
    return await gather(ctx, scope_of(ctx, college=college, first=first, last=last))


async def test_the_default_range_is_the_current_semester(session: AsyncSession) -> None:
    assert default_range(_ctx(session)) == (date(2026, 9, 7), date(2027, 1, 17))


async def test_students_are_counted_once_per_category_and_college(
    session: AsyncSession, college: College
) -> None:
    school = await _stats(session, None)
    assert school.students == 8 and school.key_attention == 1
    assert school.by_category == {"孤儿": 5, "家庭经济困难": 2, "心理异常": 1, "残疾": 1}
    assert school.by_college == {
        "机械工程学院": {"孤儿": 2},
        "计算机学院": {"孤儿": 3, "家庭经济困难": 2, "心理异常": 1, "残疾": 1},
    }
    assert school.college_totals == {"机械工程学院": 2, "计算机学院": 6}
    assert school.complete_teams == 6
    one = await _stats(session, "计算机学院")
    assert one.students == 6 and one.by_category["孤儿"] == 3
    assert one.college_totals == school.college_totals  # the comparison is school-wide


async def test_coverage_follows_each_policy_rule(session: AsyncSession, college: College) -> None:
    stats = await _stats(session, "计算机学院")
    found = {c.rule_id: (c.cadence, c.met, c.students) for c in stats.coverage}
    assert found == {
        "talk": ("每 15 天至少一次", 2, 6),
        "dorm_visit": ("每月 2 次", 1, 6),
        "academic_tutoring": ("每学期 1 次", 1, 6),
        "psych_survey": ("每学期 1 次", 0, 6),
    }


async def test_effects_alerts_aid_notices_and_careers(
    session: AsyncSession, college: College
) -> None:
    stats = await _stats(session, "计算机学院")
    assert stats.effects == {
        "明显好转": 2,
        "有所改善": 1,
        "保持稳定": 1,
        "无明显变化": 0,
        "有所恶化": 0,
    }
    assert stats.effect_trend["2026-10"]["保持稳定"] == 1
    assert stats.effect_trend["2026-11"] == {
        "明显好转": 2, "有所改善": 1, "保持稳定": 0, "无明显变化": 0, "有所恶化": 0
    }  # fmt: skip
    assert (stats.alerts.opened, stats.alerts.handled, stats.alerts.mean_hours) == (2, 1, 2.0)
    assert stats.aid == {"approved": 1, "declined": 1, "pending": 1} and stats.aid_students == 2
    assert (stats.notices, stats.notice_recipients, stats.notice_read) == (1, 1, 1)
    assert (stats.receipts_asked, stats.receipts_given) == (2, 1)
    assert (stats.graduating_year, stats.graduating) == (2027, 2)
    assert stats.intention == {"就业": 2} and stats.intention_answered == 2
    assert (stats.job_applicants, stats.job_applications) == (1, 2)
    school = await _stats(session, None)
    assert (school.alerts.opened, school.alerts.handled, school.alerts.mean_hours) == (3, 2, 1.5)


async def test_overdue_is_the_due_evaluations_own(session: AsyncSession, college: College) -> None:
    stats = await _stats(session, "计算机学院")
    board = await due_for(_ctx(session))
    assert college.counsellor.id is not None
    mine = [r for r in board[college.counsellor.id] if r.overdue_days > 0]
    assert mine and [(o.person, o.items) for o in stats.overdue if o.person == "王老师"] == [
        ("王老师", len(mine))
    ]
    assert all(o.person != "陈老师" for o in stats.overdue)  # another college's teacher


async def test_small_groups_are_hidden_from_a_college_admin_only(
    session: AsyncSession, college: College
) -> None:
    stats = await _stats(session, "计算机学院")
    assert colleges_seen(stats, own="计算机学院") == [("机械工程学院", "<3"), ("计算机学院", 6)]
    assert colleges_seen(stats, own=None) == [("机械工程学院", 2), ("计算机学院", 6)]
    told = summary(stats, tz=SHANGHAI, own="计算机学院", wide=True)
    assert "机械工程学院 <3" in told and "机械工程学院 2" not in told
    assert "【谈心谈话】每 15 天至少一次：达标 2/6（33%）" in told


async def test_the_json_carries_every_figure(session: AsyncSession, college: College) -> None:
    found = as_json(await _stats(session, None), tz=SHANGHAI)
    assert found["scope"] == {"college": None, "from": "2026-09-07", "to": "2027-01-17"}
    assert found["by_category"]["孤儿"] == 5 and found["alerts"]["opened"] == 3
