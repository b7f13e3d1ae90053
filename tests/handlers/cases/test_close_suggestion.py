"""The bot suggests closing a file after a run of good effect assessments (policy [case_file]):
once, to the student-affairs teacher, after the log that completes the run; again only after
the file was reopened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import create_app
from bot.settings import Settings
from handlers.cases.suggest import good_run
from handlers.policy.model import CaseFilePolicy
from storage.models import VisitLog
from tests.fakes.chat import Chat
from tests.fakes.clock import FakeClock
from tests.handlers.aid.flow import inbox, sim_client
from tests.handlers.cases.flow import college, stored_file

DAY = timedelta(days=1)
T0 = datetime(2026, 10, 1, tzinfo=UTC)
POLICY = CaseFilePolicy()


def _run(*pairs: tuple[int, str]) -> list[tuple[datetime, str | None]]:
    """(days after T0, effect), given oldest first, returned newest first as stored."""
    return [(T0 + days * DAY, effect) for days, effect in reversed(pairs)]


def test_three_good_over_a_month_is_a_run() -> None:
    assert good_run(_run((0, "明显好转"), (15, "有所改善"), (30, "明显好转")), POLICY)
    assert good_run(
        _run((0, "有所恶化"), (1, "有所改善"), (15, "有所改善"), (31, "明显好转")), POLICY
    )


def test_runs_that_are_not_met() -> None:
    assert not good_run(_run((0, "明显好转"), (10, "有所改善"), (20, "明显好转")), POLICY)
    assert not good_run(_run((0, "明显好转"), (20, "有所改善"), (40, "保持稳定")), POLICY)
    assert not good_run(_run((0, "明显好转"), (40, "有所改善")), POLICY)
    assert not good_run(_run((0, "明显好转"), (20, "无明显变化"), (40, "有所改善")), POLICY)
    off = CaseFilePolicy(suggest_close=False)
    assert not good_run(_run((0, "明显好转"), (15, "有所改善"), (30, "明显好转")), off)


def test_the_policy_shapes_the_run() -> None:
    two = CaseFilePolicy(good_run=2, run_days=7, good_effects=("保持稳定",))
    assert good_run(_run((0, "保持稳定"), (7, "保持稳定")), two)
    assert not good_run(_run((0, "明显好转"), (7, "保持稳定")), two)


async def _log(chat: Chat, effect: str) -> None:
    for line in ("记录 张三", "谈心谈话", "跳过", "跳过", "聊了学习和生活", effect, "否", "跳过"):
        await chat.say(line)
    assert "已保存" in await chat.say("确认")


@pytest.mark.parametrize(
    ("history", "suggested"),
    [
        ((("明显好转", 40), ("有所改善", 20)), True),
        ((("明显好转", 40), ("有所恶化", 20)), False),  # two good, then a bad one breaks it
        ((("明显好转", 15), ("有所改善", 8)), False),  # three good within 15 days
    ],
)
async def test_the_teacher_hears_once_after_the_log_that_completes_the_run(
    settings: Settings,
    clock: FakeClock,
    engine: AsyncEngine,
    session: AsyncSession,
    history: tuple[tuple[str, int], ...],
    suggested: bool,
) -> None:
    people = await college(session)
    for effect, days_ago in history:
        at = clock.now() - days_ago * DAY
        session.add(
            VisitLog(
                student_id=people["S001"],
                author_id=people["M001"],
                kind="谈心谈话",
                occurred_at=at,
                effect=effect,
                created_at=at,
            )
        )
    await session.commit()
    app = create_app(settings, clock=clock, run_outbox=False)
    async with sim_client(app) as client:
        mentor = Chat(client, "M001")
        await _log(mentor, "有所改善")
        await app.state.outbox.drain()
        heard = [m for m in await inbox(client, "T001") if "撤销建档" in m]
        assert len(heard) == (1 if suggested else 0)
        if suggested:
            assert "建议撤销建档 张三" in heard[0] and "有所改善" not in heard[0].split("为")[0]
        await _log(mentor, "明显好转")
        await app.state.outbox.drain()
        again = [m for m in await inbox(client, "T001") if "撤销建档" in m]
        assert len(again) == (1 if suggested else 0)  # never twice for one open file
    case = await stored_file(session, people["S001"])
    assert (case is not None and case.close_suggested) is suggested
