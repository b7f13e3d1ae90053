"""Broadcasts over DingTalk: 20 user ids per robot call, 已读 from oToMessages/readStatus,
撤回 through otoMessages/batchRecall (against the fake DingTalk OpenAPI)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.schedule import jobs
from storage.models import Broadcast, BroadcastDelivery
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.dingtalk import BATCH_SEND, FakeDingTalkServer
from tests.fakes.dingtalk_app import DingTalkHarness, dingtalk_app, dingtalk_settings
from tests.fakes.dingtalk_callbacks import robot_message
from tests.fakes.roster import make_staff, make_student

ADMIN = "admin01"
STUDENTS = tuple(f"stu{n:02d}" for n in range(25))


@pytest.fixture
def fake(clock: FakeClock) -> FakeDingTalkServer:
    return FakeDingTalkServer(clock=clock)


@pytest.fixture
async def ding(
    database_url: str, engine: AsyncEngine, clock: FakeClock, fake: FakeDingTalkServer
) -> AsyncIterator[DingTalkHarness]:
    settings = dingtalk_settings(database_url, DATA_KEY, fake)
    async with dingtalk_app(settings, fake=fake, clock=clock) as harness:
        yield harness


@pytest.fixture
async def people(session: AsyncSession) -> None:
    await make_staff(session, name="校管理员", roles=("school_admin",), dingtalk=ADMIN)
    for account in STUDENTS:
        await make_student(session, name=f"同学{account}", dingtalk=account)
    await session.commit()


async def _say(ding: DingTalkHarness, text: str) -> None:
    response = await ding.callback(robot_message(ding.fake, ADMIN, text))
    assert response.status_code == 200
    await ding.deliver()


async def test_identical_content_twenty_per_call_then_read_and_recall(
    ding: DingTalkHarness, fake: FakeDingTalkServer, session: AsyncSession, people: None
) -> None:
    await _say(ding, "群发 需回执 内容=周五下午三点开年级会")
    await _say(ding, "确认发送")

    robot_calls = [c for c in fake.calls_to(BATCH_SEND) if c.body["userIds"] != [ADMIN]]
    assert len(robot_calls) == 2  # ceil(25 / 20)
    assert sorted(u for c in robot_calls for u in c.body["userIds"]) == sorted(STUDENTS)

    fake.mark_read(STUDENTS[0])
    fake.mark_read(STUDENTS[24])
    runtime = ding.app.state.runtime
    assert await jobs.read_receipts(runtime) == 2
    assert await jobs.read_receipts(runtime) == 0
    await session.rollback()
    read = (
        await session.exec(select(BroadcastDelivery).where(BroadcastDelivery.read_at != None))  # noqa: E711
    ).all()
    assert len(read) == 2

    [broadcast] = (await session.exec(select(Broadcast))).all()
    await _say(ding, f"撤回 {broadcast.id}")
    assert await jobs.recall_broadcasts(runtime) == 2
    assert len(fake.recalled) == 2
