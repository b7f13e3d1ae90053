"""WeCom text messages render `<a href>` links and `$userName=…$`: what people typed reaches
them as text, in active sends and in passive replies alike."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.http import PlatformHttp, open_platform_http
from bot.channels.wecom.channel import build_sender
from handlers.envelopes import Outbound
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff
from tests.fakes.wecom import FakeWeComServer
from tests.fakes.wecom_callbacks import CallbackBuilder, fake_server, running_app, wecom_settings

LINK = '<a href="https://evil.example">点此查看</a>'
NAME = "$userName=LiSi$"


@pytest.fixture
def fake(clock: FakeClock) -> FakeWeComServer:
    return fake_server(clock, "ZhangSan")


@pytest.fixture
async def http(fake: FakeWeComServer) -> AsyncIterator[PlatformHttp]:
    async with open_platform_http(5.0, fake.transport()) as client:
        yield client


@pytest.mark.parametrize(
    "message",
    [
        Outbound(kind="text", text=f"情况：{LINK} {NAME}"),
        Outbound(kind="card", title="安全风险提醒", text=f"情况：{LINK} {NAME}"),
    ],
    ids=["text", "card-without-buttons"],
)
async def test_typed_links_and_name_codes_arrive_as_text(
    message: Outbound,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    http: PlatformHttp,
    fake: FakeWeComServer,
) -> None:
    sender = build_sender(
        wecom_settings(database_url, DATA_KEY), sessions=sessions, clock=clock, http=http
    )

    [delivery] = await sender.send(message, ["ZhangSan"], batch_key="b1")

    [content] = fake.contents_for("ZhangSan")
    shown = str(content)
    assert delivery.status == "sent" and "点此查看" in shown and "evil.example" in shown
    assert "<a" not in shown and "$userName=" not in shown


async def test_a_passive_reply_quoting_typed_text_has_no_live_link(
    database_url: str,
    clock: FakeClock,
    fake: FakeWeComServer,
    engine: AsyncEngine,
    session: AsyncSession,
) -> None:
    await make_staff(session, name="张老师", wecom="ZhangSan")
    await session.commit()
    callbacks = CallbackBuilder(clock)
    callback = callbacks.text("ZhangSan", f"查看 {LINK}")

    async with running_app(wecom_settings(database_url, DATA_KEY), clock, fake) as (_, client):
        response = await client.post(
            "/wecom/callback", params=callback.params, content=callback.body
        )

    reply = callbacks.open_reply(response.content)["Content"]
    assert "点此查看" in reply and "<a" not in reply
