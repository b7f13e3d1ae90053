"""DingTalk API failures: the shared token, busy and broken platforms, /healthz."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.base import ConfigurationError, TransientError
from bot.channels.dingtalk import channel as dingtalk
from bot.channels.dingtalk.sender import DingTalkSender
from bot.channels.http import PlatformHttp, open_platform_http
from bot.settings import Settings
from handlers.envelopes import Outbound, text
from storage.db import session_scope
from storage.messaging import outbox
from storage.models import OutboxMessage
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.dingtalk import BATCH_SEND, FakeDingTalkServer
from tests.fakes.dingtalk_app import DingTalkHarness, dingtalk_app, dingtalk_settings

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


async def test_the_token_is_fetched_once_and_shared_through_the_database(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    http: PlatformHttp,
    sender: DingTalkSender,
    fake: FakeDingTalkServer,
) -> None:
    other_process = dingtalk.build_sender(settings, sessions=sessions, clock=clock, http=http)

    await sender.send(HELLO, ["a"], batch_key="1")
    await sender.send(HELLO, ["b"], batch_key="2")
    await other_process.send(HELLO, ["c"], batch_key="3")

    assert fake.token_calls == 1
    assert len({call.token for call in fake.calls_to(BATCH_SEND)}) == 1


async def test_an_expired_token_is_refetched_before_use(
    sender: DingTalkSender, fake: FakeDingTalkServer, clock: FakeClock
) -> None:
    await sender.send(HELLO, ["a"], batch_key="1")
    clock.advance(hours=2)

    await sender.send(HELLO, ["a"], batch_key="2")

    assert fake.token_calls == 2
    assert len(fake.calls_to(BATCH_SEND)) == 2


async def test_a_revoked_token_is_replaced_once_and_the_call_retried(
    sender: DingTalkSender, fake: FakeDingTalkServer
) -> None:
    await sender.send(HELLO, ["a"], batch_key="1")
    fake.force_expire_tokens()

    [delivery] = await sender.send(HELLO, ["b"], batch_key="2")

    assert delivery.status == "sent"
    assert fake.token_calls == 2
    first, refused, retried = (c.token for c in fake.calls_to(BATCH_SEND))
    assert first == refused != retried


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (500, "ServiceUnavailable"),
        (429, "Throttling"),
        (403, "Forbidden.AccessDenied.QpsLimitForApi"),
    ],
)
async def test_busy_platform_is_a_transient_error(
    sender: DingTalkSender, fake: FakeDingTalkServer, status: int, code: str
) -> None:
    fake.fail_next(BATCH_SEND, status=status, code=code)

    with pytest.raises(TransientError):
        await sender.send(HELLO, ["a"], batch_key="1")


async def test_a_hanging_platform_times_out_as_a_transient_error(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    http: PlatformHttp,
    fake: FakeDingTalkServer,
) -> None:
    settings.http_timeout = 0.2
    sender = dingtalk.build_sender(settings, sessions=sessions, clock=clock, http=http)
    fake.hang_next(BATCH_SEND, seconds=5)

    with pytest.raises(TransientError, match="Timeout"):
        await sender.send(HELLO, ["a"], batch_key="1")


async def test_a_refused_connection_is_a_transient_error(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    settings.dingtalk_api_base = "http://127.0.0.1:9"  # the discard port: nothing listens
    async with open_platform_http(5.0) as real:
        sender = dingtalk.build_sender(settings, sessions=sessions, clock=clock, http=real)
        with pytest.raises(TransientError):
            await sender.send(HELLO, ["a"], batch_key="1")


async def test_bad_robot_code_raises_a_configuration_error(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    http: PlatformHttp,
) -> None:
    settings.dingtalk_robot_code = "dingwrongrobot"
    sender = dingtalk.build_sender(settings, sessions=sessions, clock=clock, http=http)

    with pytest.raises(ConfigurationError, match="robotCode"):
        await sender.send(HELLO, ["a"], batch_key="1")


async def test_bad_robot_code_is_shown_by_healthz_and_the_row_kept(
    database_url: str, engine: AsyncEngine, clock: FakeClock, fake: FakeDingTalkServer
) -> None:
    settings = dingtalk_settings(database_url, DATA_KEY, fake)
    settings.dingtalk_robot_code = "dingwrongrobot"
    settings.health_token = SecretStr("ops-secret")
    async with dingtalk_app(settings, fake=fake, clock=clock) as ding:
        await enqueue(ding, ["a"], HELLO)
        await ding.deliver()
        health = await ding.client.get("/healthz", params={"token": "ops-secret"})
        async with ding.app.state.dispatcher.sessions() as session:
            [row] = (await session.exec(select(OutboxMessage))).all()

    assert health.status_code == 503
    assert "invalidParameter.robotCode.auth" in health.json()["channel_dingtalk"]
    assert row.status == "retrying" and fake.deliveries == []  # kept until an operator fixes it


async def test_a_later_success_clears_the_configuration_problem(
    database_url: str, engine: AsyncEngine, clock: FakeClock, fake: FakeDingTalkServer
) -> None:
    settings = dingtalk_settings(database_url, DATA_KEY, fake)
    async with dingtalk_app(settings, fake=fake, clock=clock) as ding:
        fake.fail_next(
            BATCH_SEND, status=403, code="Forbidden.AccessDenied.AccessTokenPermissionDenied"
        )
        await enqueue(ding, ["a"], HELLO)
        await ding.app.state.outbox.run_once()
        broken = await ding.client.get("/healthz")
        clock.advance(minutes=15)
        await ding.deliver()
        healed = await ding.client.get("/healthz")

    assert broken.status_code == 503 and healed.status_code == 200
    assert [d.user for d in fake.deliveries] == ["a"]


async def test_wrong_app_secret_is_a_configuration_error(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    http: PlatformHttp,
) -> None:
    settings.dingtalk_app_secret = SecretStr("wrong")
    sender = dingtalk.build_sender(settings, sessions=sessions, clock=clock, http=http)

    with pytest.raises(ConfigurationError, match="invalidClientIdOrSecret"):
        await sender.send(HELLO, ["a"], batch_key="1")


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


async def test_a_block_page_instead_of_json_is_transient_not_a_delivery(
    sender: DingTalkSender, fake: FakeDingTalkServer
) -> None:
    await sender.send(HELLO, ["a"], batch_key="1")  # token in hand
    fake.block_page_next(BATCH_SEND)

    with pytest.raises(TransientError, match="not a JSON object"):
        await sender.send(HELLO, ["b"], batch_key="2")


async def test_a_long_message_broken_off_half_way_is_retried_not_raised(
    sender: DingTalkSender, fake: FakeDingTalkServer
) -> None:
    body = "\n".join(f"第{n}条" + "字" * 60 for n in range(20))  # two parts
    fake.fail_next(BATCH_SEND, status=500, code="ServiceUnavailable", after=1)

    [delivery] = await sender.send(text(body), ["a"], batch_key="1")

    assert delivery.status == "retry" and len(fake.delivered_to("a")) == 1
