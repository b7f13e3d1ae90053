"""DingTalkSender against the fake OpenAPI: batching, per-user results, content, sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.dingtalk import channel as dingtalk
from bot.channels.dingtalk.sender import DingTalkSender
from bot.channels.dingtalk.sessions import SessionWebhooks
from bot.channels.http import PlatformHttp, open_platform_http
from bot.settings import Settings
from handlers.envelopes import Button, Outbound, text
from storage.db import session_scope
from storage.messaging import outbox
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.dingtalk import ACCESS_TOKEN, BATCH_SEND, SESSION, FakeDingTalkServer
from tests.fakes.dingtalk_app import DingTalkHarness, dingtalk_app, dingtalk_settings
from tests.fakes.server import serve_app

HELLO = text("你好")


@pytest.fixture
def fake(clock: FakeClock) -> FakeDingTalkServer:
    return FakeDingTalkServer(clock=clock)


@pytest.fixture
def settings(database_url: str, fake: FakeDingTalkServer) -> Settings:
    return dingtalk_settings(database_url, DATA_KEY, fake)


@pytest.fixture
async def http(fake: FakeDingTalkServer) -> AsyncIterator[PlatformHttp]:
    async with open_platform_http(5.0, httpx.ASGITransport(app=fake)) as client:
        yield client


@pytest.fixture
def sender(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    http: PlatformHttp,
) -> DingTalkSender:
    return dingtalk.build_sender(settings, sessions=sessions, clock=clock, http=http)


def users(n: int) -> list[str]:
    return [f"user{i:02d}" for i in range(n)]


async def test_sends_to_everyone_and_reports_the_query_key(
    sender: DingTalkSender, fake: FakeDingTalkServer
) -> None:
    deliveries = await sender.send(HELLO, users(3), batch_key="b1")

    assert [(d.recipient, d.status) for d in deliveries] == [(u, "sent") for u in users(3)]
    assert len({d.msgid for d in deliveries}) == 1 and deliveries[0].msgid.startswith("pqk-")  # type: ignore[union-attr]
    assert [d.text for d in fake.deliveries] == ["你好"] * 3


async def test_45_queued_rows_go_out_in_three_calls_of_at_most_20(
    database_url: str, engine: AsyncEngine, clock: FakeClock, fake: FakeDingTalkServer
) -> None:
    settings = dingtalk_settings(database_url, DATA_KEY, fake)
    async with dingtalk_app(settings, fake=fake, clock=clock) as ding:
        await enqueue(ding, users(45), HELLO)
        await ding.deliver()

    sizes = [len(call.body["userIds"]) for call in fake.calls_to(BATCH_SEND)]
    assert sorted(sizes) == [5, 20, 20]
    assert {d.user for d in fake.deliveries} == set(users(45))


async def enqueue(ding: DingTalkHarness, recipients: list[str], message: Outbound) -> None:
    async with session_scope(ding.app.state.dispatcher.sessions) as session:
        for recipient in recipients:
            await outbox.enqueue(
                session,
                channel="dingtalk",
                person_id=None,
                recipient=recipient,
                payload=message.to_payload(),
                idempotency_key=f"test:{recipient}:{message.text}",
                now=ding.clock.now(),
            )


async def test_flow_controlled_users_are_retried_later(
    sender: DingTalkSender, fake: FakeDingTalkServer
) -> None:
    fake.flow_limit = 1
    await sender.send(HELLO, ["busy"], batch_key="1")

    deliveries = await sender.send(text("再来"), ["busy", "calm"], batch_key="2")

    busy, calm = deliveries
    assert (busy.status, busy.retry_after, busy.error) == (
        "retry",
        60.0,
        "flowControlledStaffIdList",
    )
    assert calm.status == "sent"


async def test_invalid_users_fail_permanently(
    sender: DingTalkSender, fake: FakeDingTalkServer
) -> None:
    fake.users = {"known"}

    known, ghost = await sender.send(HELLO, ["known", "ghost"], batch_key="1")

    assert known.status == "sent"
    assert (ghost.status, ghost.error) == ("failed", "invalidStaffIdList")


async def test_a_message_dingtalk_rejects_fails_its_rows_without_blaming_the_channel(
    sender: DingTalkSender, fake: FakeDingTalkServer
) -> None:
    fake.fail_next(BATCH_SEND, status=400, code="invalidParameter.msgParam.invalid")

    deliveries = await sender.send(HELLO, ["a", "b"], batch_key="1")

    assert [d.status for d in deliveries] == ["failed", "failed"]


async def test_an_unknown_staff_id_is_narrowed_down_to_the_one_user(
    sender: DingTalkSender, fake: FakeDingTalkServer
) -> None:
    fake.fail_next(BATCH_SEND, status=400, code="staffId.notExisted")
    fake.fail_next(BATCH_SEND, status=400, code="staffId.notExisted")

    ghost, known = await sender.send(HELLO, ["ghost", "known"], batch_key="1")

    assert (ghost.status, known.status) == ("failed", "sent")


async def test_long_text_arrives_as_ordered_parts(
    sender: DingTalkSender, fake: FakeDingTalkServer
) -> None:
    body = "\n".join(f"第{n}条" + "字" * 60 for n in range(30))

    [delivery] = await sender.send(text(body), ["a"], batch_key="1")

    parts = [d.text for d in fake.delivered_to("a")]
    assert delivery.status == "sent" and len(parts) == 3
    assert "\n".join(parts) == body


async def test_a_card_goes_out_as_an_action_card(
    sender: DingTalkSender, fake: FakeDingTalkServer
) -> None:
    message = Outbound(
        kind="card", text="谈心了吗？", buttons=(Button("yes", "谈了"), Button("no", "还没"))
    )

    await sender.send(message, ["a"], batch_key="1")

    [delivery] = fake.delivered_to("a")
    assert delivery.msg_key == "sampleActionCard2"
    assert (delivery.param["actionTitle1"], delivery.param["actionTitle2"]) == ("谈了", "还没")


async def test_session_and_robot_recipients_in_one_call(
    sender: DingTalkSender,
    fake: FakeDingTalkServer,
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
) -> None:
    url, _ = fake.open_session("$sender:chatting")
    webhooks = SessionWebhooks(
        sessions=sessions, clock=clock, robot_code=fake.app_key, api_base=fake.base_url
    )
    assert await webhooks.remember("$sender:chatting", url, clock.now() + timedelta(minutes=90))
    fake.fail_next(BATCH_SEND, status=500, code="ServiceUnavailable")

    chatting, quiet = await sender.send(HELLO, ["$sender:chatting", "quiet"], batch_key="1")

    assert chatting.status == "sent"
    assert fake.delivered_to("$sender:chatting")[0].via == "session"
    assert quiet.status == "retry"  # the session reply already went out: no raise, no resend
    assert len(fake.calls_to(SESSION)) == 1


async def test_a_foreign_session_webhook_is_never_stored(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    webhooks = SessionWebhooks(
        sessions=sessions, clock=clock, robot_code="r", api_base="https://api.dingtalk.com"
    )
    later = clock.now() + timedelta(minutes=90)
    u, v, w = "$sender:u", "$sender:v", "$sender:w"

    good = await webhooks.remember(
        u, "https://oapi.dingtalk.com/robot/sendBySession?session=1", later
    )
    evil = await webhooks.remember(v, "https://evil.example/robot/sendBySession?session=1", later)
    plain = await webhooks.remember(
        w, "http://oapi.dingtalk.com/robot/sendBySession?session=1", later
    )

    assert (good, evil, plain) == (True, False, False)
    assert set(await webhooks.lookup([u, v, w])) == {u}


async def test_the_fake_serves_real_http_too(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    fake: FakeDingTalkServer,
) -> None:
    with serve_app(fake) as base:
        settings.dingtalk_api_base = base
        async with open_platform_http(5) as real:
            sender = dingtalk.build_sender(settings, sessions=sessions, clock=clock, http=real)
            [delivery] = await sender.send(HELLO, ["a"], batch_key="1")

    assert delivery.status == "sent" and fake.calls_to(ACCESS_TOKEN)
