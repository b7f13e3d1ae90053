"""群发 alone opens a form; its answers end in the same preview as the one-line 群发."""

from __future__ import annotations

import httpx
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Broadcast, Conversation
from tests.fakes.chat import Chat


async def test_the_form_asks_then_previews(
    sim: httpx.AsyncClient, session: AsyncSession, school: dict[str, int]
) -> None:
    admin = Chat(sim, "T3")  # college admin of 机械工程学院
    assert "发给谁" in await admin.say("群发")
    assert "内容" in await admin.say("跳过")
    assert "哪一类" in await admin.say("{{姓名}}同学，周五体检")
    assert "收到" in await admin.say("活动")
    summary = await admin.say("是")
    assert "群发通知" in summary or "确认" in summary
    preview = await admin.say("确认")

    assert "收件人：3 人" in preview and "张三同学，周五体检" in preview
    await session.rollback()
    [draft] = (await session.exec(select(Broadcast))).all()
    assert (draft.topic, draft.needs_receipt, draft.status) == ("活动", True, "draft")
    assert (await session.exec(select(Conversation))).all() == []

    assert "共 3 人" in await admin.say("确认发送")


async def test_the_form_refuses_who_may_not_broadcast(
    sim: httpx.AsyncClient, school: dict[str, int]
) -> None:
    assert "无权限" in await Chat(sim, "T5").say("群发")
