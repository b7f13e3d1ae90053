"""Template cards, recall, the outbox end to end, the fake's silent per-member drop, and the
fake served over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.base import Button, Outbound, TransientError
from bot.channels.http import PlatformHttp, open_platform_http
from bot.channels.wecom.channel import build_sender
from bot.channels.wecom.sender import WeComSender
from bot.outbox.sender import OutboxSender
from storage.db import session_scope
from storage.messaging import outbox
from storage.models import OutboxMessage, OutboxStatus
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.wecom import FakeWeComServer
from tests.fakes.wecom_callbacks import fake_server, wecom_settings

CARD = Outbound(
    kind="card",
    title="走访提醒",
    text="本周请走访 张三 的寝室。",
    buttons=(Button("visit:done:17", "已走访"), Button("visit:later:17", "稍后")),
)


@pytest.fixture
def fake(clock: FakeClock) -> FakeWeComServer:
    return fake_server(clock, "ZhangSan", "LiSi")


@pytest.fixture
async def http(fake: FakeWeComServer) -> AsyncIterator[PlatformHttp]:
    async with open_platform_http(1.0, fake.transport()) as client:
        yield client


@pytest.fixture
def sender(
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    http: PlatformHttp,
) -> WeComSender:
    settings = wecom_settings(database_url, DATA_KEY)
    return build_sender(settings, sessions=sessions, clock=clock, http=http)


async def test_a_card_carries_its_button_keys_and_returns_a_response_code(
    sender: WeComSender, fake: FakeWeComServer
) -> None:
    deliveries = await sender.send(CARD, ["ZhangSan", "LiSi"], batch_key="digest-1")

    [call] = fake.sends()
    card = call.json["template_card"]
    assert card["card_type"] == "button_interaction"
    assert card["main_title"] == {"title": "走访提醒"}
    assert card["sub_title_text"] == "本周请走访 张三 的寝室。"
    assert [(b["key"], b["text"]) for b in card["button_list"]] == [
        ("visit:done:17", "已走访"),
        ("visit:later:17", "稍后"),
    ]
    assert {d.response_code for d in deliveries} == {call.answer["response_code"]}
    assert all(d.status == "sent" for d in deliveries)


async def test_card_task_ids_are_stable_per_batch_and_differ_between_batches(
    sender: WeComSender, fake: FakeWeComServer
) -> None:
    await sender.send(CARD, ["ZhangSan"], batch_key="digest-1")
    await sender.send(CARD, ["ZhangSan"], batch_key="digest-1")  # retry: suppressed
    await sender.send(CARD, ["ZhangSan"], batch_key="digest-2")  # the next digest: delivered

    first, retry, second = (c.json["template_card"]["task_id"] for c in fake.sends())
    assert first == retry != second
    assert fake.suppressed == 1
    assert fake.delivered_to("ZhangSan") == 2


async def test_a_card_can_be_updated_with_its_response_code_and_recalled(
    sender: WeComSender, fake: FakeWeComServer
) -> None:
    [delivery] = await sender.send(CARD, ["ZhangSan"], batch_key="digest-1")
    assert delivery.response_code and delivery.msgid

    await sender.update_card(
        userids=["ZhangSan"], response_code=delivery.response_code, label="已走访"
    )
    await sender.recall(delivery.msgid)

    [update] = fake.card_updates
    assert update["button"] == {"replace_name": "已走访"}
    assert fake.recalled == [delivery.msgid]


async def test_the_outbox_stores_msgid_and_response_code(
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    sender: WeComSender,
    session: AsyncSession,
) -> None:
    async with session_scope(sessions) as writer:
        await outbox.enqueue(
            writer,
            channel="wecom",
            person_id=None,
            recipient="ZhangSan",
            payload=CARD.to_payload(),
            idempotency_key="digest:1:ZhangSan",
            now=clock.now(),
        )

    await OutboxSender(sessions=sessions, clock=clock, senders={"wecom": sender}).run_once()

    [row] = (await session.exec(select(OutboxMessage))).all()
    assert row.status == OutboxStatus.SENT
    assert row.platform_msgid and row.response_code


async def test_the_fake_silently_drops_the_31st_message_in_a_minute(
    sender: WeComSender, fake: FakeWeComServer, clock: FakeClock
) -> None:
    for n in range(31):
        text = Outbound(kind="text", text=f"第{n}条")
        [delivery] = await sender.send(text, ["ZhangSan"], batch_key=f"b{n}")
        assert delivery.status == "sent"  # WeCom says ok even when it drops
    clock.advance(seconds=61)
    await sender.send(Outbound(kind="text", text="一分钟后"), ["ZhangSan"], batch_key="later")

    assert fake.delivered_to("ZhangSan") == 31
    assert [content for _, _, content in fake.dropped] == ["第30条"]


async def test_sender_works_against_the_fake_over_real_http(
    database_url: str, sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = fake_server(clock, "ZhangSan")
    fake.hang_seconds = 3.0
    with fake.serve() as url:
        settings = wecom_settings(database_url, DATA_KEY, wecom_api_base=url)
        async with open_platform_http(0.5) as http:
            sender = build_sender(settings, sessions=sessions, clock=clock, http=http)
            [delivery] = await sender.send(CARD, ["ZhangSan"], batch_key="net-1")
            fake.fail_next("hang")
            with pytest.raises(TransientError):
                await sender.send(CARD, ["ZhangSan"], batch_key="net-2")

    assert delivery.status == "sent"
    assert fake.delivered_to("ZhangSan") >= 1
