"""Broadcasts over real WeCom callbacks and the fake WeCom API: identical content goes out in
one call per 1000 users, the card's 收到 button records the receipt, and a category-filtered
text notice is confidential (safe=1)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.schedule import jobs
from handlers.outreach.notice import ACK_BUTTON
from storage.models import Broadcast, BroadcastDelivery
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student
from tests.fakes.wecom import FakeWeComServer
from tests.fakes.wecom_callbacks import CallbackBuilder, fake_server, running_app, wecom_settings
from tests.handlers.conversation.test_wecom_conversation import WeComChat

ADMIN, STUDENTS = "XiaoZhang", ("StuA", "StuB", "StuC")


@pytest.fixture
def fake(clock: FakeClock) -> FakeWeComServer:
    return fake_server(clock, ADMIN, *STUDENTS)


@pytest.fixture
async def wecom(
    database_url: str, clock: FakeClock, fake: FakeWeComServer, engine: AsyncEngine
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with running_app(wecom_settings(database_url, DATA_KEY), clock, fake) as pair:
        yield pair


@pytest.fixture
async def people(session: AsyncSession) -> dict[str, int]:
    admin = await make_staff(session, name="校管理员", roles=("school_admin",), wecom=ADMIN)
    ids = {ADMIN: admin.id or 0}
    for index, account in enumerate(STUDENTS):
        categories = ("orphan",) if index == 0 else ()
        student = await make_student(
            session, name=f"学生{index}", wecom=account, categories=categories
        )
        ids[account] = student.id or 0
    await session.commit()
    return ids


def _chat(
    wecom: tuple[FastAPI, httpx.AsyncClient], fake: FakeWeComServer, clock: FakeClock, user: str
) -> WeComChat:
    return WeComChat(wecom[0], wecom[1], CallbackBuilder(clock), fake, user)


async def test_one_call_for_identical_content_and_the_button_confirms(
    wecom: tuple[FastAPI, httpx.AsyncClient],
    fake: FakeWeComServer,
    clock: FakeClock,
    people: dict[str, int],
    session: AsyncSession,
) -> None:
    admin = _chat(wecom, fake, clock, ADMIN)
    assert "收件人：3 人" in await admin.say("群发 需回执 内容=周五下午三点开年级会")
    await admin.say("确认发送")

    cards = [
        json.loads(call.body)
        for call in fake.sends()
        if json.loads(call.body).get("msgtype") == "template_card"
    ]
    assert len(cards) == 1
    assert sorted(cards[0]["touser"].split("|")) == sorted(STUDENTS)

    student = _chat(wecom, fake, clock, STUDENTS[1])
    card = student.last_card()
    assert card["button_list"][0]["text"] == "收到"
    assert "已确认收到" in await student.click(card["button_list"][0]["key"])
    await session.rollback()
    confirmed = (
        await session.exec(select(BroadcastDelivery).where(BroadcastDelivery.confirmed_at != None))  # noqa: E711
    ).all()
    assert [row.person_id for row in confirmed] == [people[STUDENTS[1]]]


async def test_a_category_filtered_text_notice_is_confidential(
    wecom: tuple[FastAPI, httpx.AsyncClient],
    fake: FakeWeComServer,
    clock: FakeClock,
    people: dict[str, int],
) -> None:
    admin = _chat(wecom, fake, clock, ADMIN)
    assert "收件人：1 人" in await admin.say("群发 类别=孤儿 活动 无需回执 内容=周末有集体生日会")
    await admin.say("确认发送")

    [sent] = [
        json.loads(call.body)
        for call in fake.sends()
        if "集体生日会" in json.dumps(json.loads(call.body), ensure_ascii=False)
    ]
    assert sent["touser"] == STUDENTS[0]
    assert sent["msgtype"] == "text" and sent["safe"] == 1
    assert "孤儿" not in sent["text"]["content"]


async def test_recall_within_a_day_takes_the_messages_back(
    wecom: tuple[FastAPI, httpx.AsyncClient],
    fake: FakeWeComServer,
    clock: FakeClock,
    people: dict[str, int],
    session: AsyncSession,
) -> None:
    admin = _chat(wecom, fake, clock, ADMIN)
    await admin.say("群发 内容=周五开会")
    await admin.say("确认发送")
    await admin.say("群发 内容=周六开会")
    await admin.say("确认发送")
    await session.rollback()
    first, second = (await session.exec(select(Broadcast).order_by(Broadcast.id))).all()  # type: ignore[arg-type]
    sent = {
        answer["msgid"]
        for call in fake.sends()
        if (answer := call.answer)
        and "开会" in json.dumps(json.loads(call.body), ensure_ascii=False)
    }
    assert len(sent) == 2

    assert "正在撤回" in await admin.say(f"撤回 {first.id}")
    runtime = wecom[0].state.runtime
    assert await jobs.recall_broadcasts(runtime) == 1
    assert await jobs.recall_broadcasts(runtime) == 0  # once
    assert len(fake.recalled) == 1 and fake.recalled[0] in sent
    student = _chat(wecom, fake, clock, STUDENTS[0])
    assert "已经撤回" in await student.click(f"{ACK_BUTTON}{first.id}")  # nothing to confirm

    clock.advance(hours=25)
    assert "超过 24 小时" in await admin.say(f"撤回 {second.id}")
    assert "撤回过" in await admin.say(f"撤回 {first.id}")


async def test_personalised_content_goes_one_call_per_person(
    wecom: tuple[FastAPI, httpx.AsyncClient],
    fake: FakeWeComServer,
    clock: FakeClock,
    people: dict[str, int],
) -> None:
    admin = _chat(wecom, fake, clock, ADMIN)
    await admin.say("群发 活动 无需回执 内容={{姓名}}，周末有读书会")
    before = len(fake.sends())
    await admin.say("确认发送")

    bodies = [json.loads(call.body) for call in fake.sends()[before:]]
    notices = [b for b in bodies if "读书会" in json.dumps(b, ensure_ascii=False)]
    assert sorted(b["touser"] for b in notices) == sorted(STUDENTS)
    assert {b["text"]["content"].splitlines()[-1] for b in notices} == {
        f"学生{n}，周末有读书会" for n in range(3)
    }
