"""Defects found walking issue 12 in the simulator as a newcomer and as an attacker: the 催办
text, a 收到 pressed by someone the notice never reached, the 定时 examples, pasted 学号 that
match nobody, and a 需回执 written after the content."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Broadcast, BroadcastDelivery
from tests.fakes.chat import Chat
from tests.handlers.outreach.conftest import inbox


async def _broadcasts(session: AsyncSession) -> list[Broadcast]:
    await session.rollback()
    return list((await session.exec(select(Broadcast))).all())


async def test_a_reminder_never_shows_a_variable_name(
    sim: httpx.AsyncClient, quiet_app: FastAPI, session: AsyncSession, school: dict[str, int]
) -> None:
    admin = Chat(sim, "T1")
    await admin.say("群发 学院=机械工程学院 需回执 内容={{姓名}}同学，周五交材料")
    await admin.say("确认发送")
    await quiet_app.state.outbox.drain()
    [broadcast] = await _broadcasts(session)

    assert "已向 3 位" in await admin.say(f"催办 {broadcast.id}")
    await quiet_app.state.outbox.drain()
    _, reminder = await inbox(sim, "S2")
    assert "同学，周五交材料" in str(reminder["text"])
    assert "姓名" not in str(reminder["text"]) and "{{" not in str(reminder["text"])


async def test_pressing_the_receipt_of_someone_elses_notice_confirms_nothing(
    sim: httpx.AsyncClient, quiet_app: FastAPI, session: AsyncSession, school: dict[str, int]
) -> None:
    admin = Chat(sim, "T1")
    await admin.say("群发 学院=机械工程学院 需回执 内容=周五交材料")
    await admin.say("确认发送")
    await quiet_app.state.outbox.drain()
    [notice] = await inbox(sim, "S1")
    key = notice["buttons"][0]["key"]  # type: ignore[index]

    reply = await Chat(sim, "S4").press(key)  # 计算机学院: the notice never reached them

    assert "没有需要你确认" in reply and "确认过了" not in reply
    await session.rollback()
    rows = (await session.exec(select(BroadcastDelivery))).all()
    assert school["S4"] not in {row.person_id for row in rows}
    assert all(row.confirmed_at is None for row in rows)


async def test_time_examples_are_in_the_future(
    sim: httpx.AsyncClient, session: AsyncSession, school: dict[str, int]
) -> None:
    admin = Chat(sim, "T1")  # the fake clock stands at 2026-11-23 09:00

    past = await admin.say("群发 定时 2020-01-01 09:00 内容=开会")
    unreadable = await admin.say("群发 定时 明天 内容=开会")

    assert "已经过去了" in past and "定时 2026-11-24 09:00" in past
    assert "没看懂时间" in unreadable and "定时 2026-11-24 09:00" in unreadable
    assert await _broadcasts(session) == []


async def test_pasted_student_numbers_that_match_nobody_are_named(
    sim: httpx.AsyncClient, session: AsyncSession, school: dict[str, int]
) -> None:
    admin = Chat(sim, "T1")

    reply = await admin.say("群发 学号=S1,S9 内容=开会")

    assert "学生里没有这些学号：S9" in reply and "S1" not in reply.replace("S9", "")
    assert await _broadcasts(session) == []
    assert "收件人：1 人" in await admin.say("群发 学号=S1 内容=开会")


async def test_a_student_outside_the_senders_scope_reads_as_a_number_nobody_has(
    sim: httpx.AsyncClient, session: AsyncSession, school: dict[str, int]
) -> None:
    counsellor = Chat(sim, "T4")  # S1 and S2 are theirs; S3 and S4 exist, S9 does not

    outside = await counsellor.say("群发 学号=S4 内容=开会")
    nobody = await counsellor.say("群发 学号=S9 内容=开会")

    assert outside.replace("S4", "S9") == nobody
    assert "学生里没有这些学号" in nobody
    assert await _broadcasts(session) == []
    assert "收件人：1 人" in await counsellor.say("群发 学号=S1 内容=开会")


async def test_a_receipt_option_after_the_content_is_an_option(
    sim: httpx.AsyncClient, quiet_app: FastAPI, session: AsyncSession, school: dict[str, int]
) -> None:
    admin = Chat(sim, "T1")

    preview = await admin.say("群发 学院=机械工程学院 活动 内容=周五看电影 需回执")
    await admin.say("确认发送")
    await quiet_app.state.outbox.drain()

    assert "需回执" in preview.split("\n")[0]
    [broadcast] = await _broadcasts(session)
    assert broadcast.content == "周五看电影" and broadcast.needs_receipt
    [notice] = await inbox(sim, "S2")
    assert notice["text"] == "周五看电影" and notice["buttons"]
