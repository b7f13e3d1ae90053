"""订阅 / 退订 through the simulator: a topic turns off and on; 通知 stays on."""

from __future__ import annotations

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.outreach.subscriptions import unsubscribed
from tests.fakes.chat import Chat
from tests.fakes.roster import make_student


async def test_a_student_turns_jobs_off_and_on_but_not_notices(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    student = await make_student(session, code="2023000001")
    await session.commit()
    assert student.id is not None
    me = student.id
    chat = Chat(client, "2023000001")

    assert "已退订「岗位」" in await chat.say("退订 岗位")
    await session.rollback()
    assert await unsubscribed(session, [me], "岗位") == {me}

    refused = await chat.say("退订 通知")
    assert "不能退订" in refused
    assert await unsubscribed(session, [me], "通知") == set()

    listing = await chat.say("退订 八卦")
    assert "没有「八卦」" in listing and "你目前已退订：岗位" in listing

    assert "已订阅「岗位」" in await chat.say("订阅 岗位")
    await session.rollback()
    assert await unsubscribed(session, [me], "岗位") == set()
