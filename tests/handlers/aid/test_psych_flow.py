"""心理 through the simulator: the hotline, how to book and the next events; and the
scheduled announcement a week ahead, once, to students who have not turned 心理 off."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import create_app
from bot.runtime import open_runtime
from bot.schedule import jobs
from bot.settings import Settings
from storage.outreach.subscriptions import set_subscription
from tests.fakes.chat import Chat
from tests.fakes.clock import SHANGHAI, FakeClock
from tests.handlers.aid.flow import inbox, sim_client, team_roster


@pytest.fixture
async def people(session: AsyncSession) -> dict[str, int]:
    return await team_roster(session)


async def test_a_student_asks_for_psychological_support(
    client: httpx.AsyncClient, settings: Settings, people: dict[str, int]
) -> None:
    reply = await Chat(client, "S001").say("心理")

    assert f"24 小时心理热线：{settings.hotline}" in reply
    assert "心理健康教育与咨询中心预约" in reply
    lines = reply.splitlines()
    events = [line for line in lines if line.startswith("· ") and "月" in line and "日 " in line]
    assert events == [
        "· 12月5日 “12.5”心理健康节",
        "· 3月20日 “3.20”心理健康周",
        "· 5月25日 “5.25”心理健康月",
    ]
    assert "求助" in reply


async def test_the_event_is_announced_a_week_ahead_once_to_subscribed_students(
    settings: Settings, clock: FakeClock, session: AsyncSession, people: dict[str, int]
) -> None:
    await set_subscription(session, people["S002"], "心理", False, clock.now())
    await session.commit()
    app = create_app(settings, clock=clock, run_outbox=False)
    async with sim_client(app) as client, open_runtime(settings, clock=clock) as runtime:
        too_early = await jobs.announce_psych_events(runtime)  # Monday 23 November
        clock.set(datetime(2026, 11, 28, 7, 0, tzinfo=SHANGHAI))
        at_dawn = await jobs.announce_psych_events(runtime)  # quiet hours until 07:30
        clock.set(datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI))
        first = await jobs.announce_psych_events(runtime)
        clock.advance(days=1)
        again = await jobs.announce_psych_events(runtime)
        await app.state.outbox.drain()

        assert (too_early, at_dawn, again) == (0, 0, 0)
        assert first == 3  # 张三, 李同学 and 王五; 李四 turned 心理 off; staff are not told
        told = {
            code
            for code in people
            if any("心理健康节就要到啦" in message for message in await inbox(client, code))
        }
        assert told == {"S001", "P001", "S003"}
        [message] = await inbox(client, "S001")
        assert "12月5日" in message and settings.hotline in message
