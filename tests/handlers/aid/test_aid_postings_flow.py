"""资助 through the simulator: a counsellor or admin publishes by form for the students in
their reach; students list and read the open items; three days before the deadline the
scheduled job reminds the audience once, leaving out those who turned 资助 off."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import create_app
from bot.runtime import open_runtime
from bot.schedule import jobs
from bot.settings import Settings
from storage.models import AidPosting
from storage.outreach.subscriptions import set_subscription
from tests.fakes.chat import Chat
from tests.fakes.clock import FakeClock
from tests.handlers.aid.flow import inbox, sim_client, team_roster


@pytest.fixture
async def people(session: AsyncSession) -> dict[str, int]:
    return await team_roster(session)


async def _publish(publisher: Chat, *, name: str, deadline: str) -> str:
    assert "资助项目的名称" in await publisher.say("发布资助")
    assert "勤工助学" in await publisher.say(name)
    assert "哪些同学可以申请" in await publisher.say("勤工助学")
    await publisher.say("家庭经济困难的本科生")
    await publisher.say(deadline)
    summary = await publisher.say("到学院学工办填表 <b>申请</b>")
    assert "勤工助学" in summary
    return await publisher.say("确认")


async def test_a_counsellors_posting_reaches_only_their_students(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    published = await _publish(Chat(client, "T001"), name="图书馆助管岗", deadline="12月20日")

    [posting] = (await session.exec(select(AidPosting))).all()
    assert f"已发布资助 {posting.id}" in published and "您负责的同学" in published
    assert (posting.kind, posting.deadline) == ("勤工助学", date(2026, 12, 20))
    assert (posting.scope_teacher_id, posting.scope_college) == (people["T001"], None)
    listing = await Chat(client, "S001").say("资助")
    assert f"{posting.id}. 图书馆助管岗（勤工助学），12月20日截止" in listing
    detail = await Chat(client, "S001").say(f"资助 {posting.id}")
    assert "家庭经济困难的本科生" in detail and "<b>申请</b>" in detail
    assert "图书馆助管岗" not in await Chat(client, "S002").say("资助")
    assert "没有找到资助" in await Chat(client, "S002").say(f"资助 {posting.id}")
    assert "图书馆助管岗" in await Chat(client, "T002").say("资助")


async def test_students_and_staff_without_a_reach_may_not_publish(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    assert "无权限" in await Chat(client, "S001").say("发布资助")
    assert "无权限" in await Chat(client, "P001").say("发布资助")
    assert (await session.exec(select(AidPosting))).all() == []


async def test_a_past_deadline_is_asked_again(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    again = await _publish(Chat(client, "A001"), name="临时补助", deadline="2026-11-01")

    assert "已经过去了" in again and "申请截止日期是哪天" in again
    assert (await session.exec(select(AidPosting))).all() == []


async def test_the_deadline_reminder_goes_once_to_the_subscribed_audience(
    settings: Settings, clock: FakeClock, session: AsyncSession, people: dict[str, int]
) -> None:
    await set_subscription(session, people["S002"], "资助", False, clock.now())
    await session.commit()
    app = create_app(settings, clock=clock, run_outbox=False)
    async with sim_client(app) as client:
        # FakeClock: Monday 2026-11-23 09:00; the college admin reaches 计算机学院's students:
        # 张三, 李同学 (a peer mentor is a student too) and 李四, who turned 资助 off.
        await _publish(Chat(client, "A001"), name="国家助学金", deadline="11月26日")
        await _publish(Chat(client, "A001"), name="社会奖学金", deadline="12月20日")
        async with open_runtime(settings, clock=clock) as runtime:
            first = await jobs.remind_aid_deadlines(runtime)
            second = await jobs.remind_aid_deadlines(runtime)
        await app.state.outbox.drain()

        assert (first, second) == (2, 0)
        reminded = {
            code
            for code in ("S001", "S002", "S003", "P001", "T001", "A001")
            if any("还有 3 天截止" in message for message in await inbox(client, code))
        }
        assert reminded == {"S001", "P001"}
        assert not any("社会奖学金" in message for message in await inbox(client, "S001"))
