"""An image (the 统计 chart) goes to WeCom as media of type image, then an image message."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.http import open_platform_http
from bot.channels.wecom.channel import build_sender
from bot.channels.wecom.sender import WeComSender
from handlers.envelopes import image
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.wecom import FakeWeComServer
from tests.fakes.wecom_callbacks import fake_server, wecom_settings

PNG = b"\x89PNG\r\n\x1a\n chart bytes"


@pytest.fixture
def fake(clock: FakeClock) -> FakeWeComServer:
    return fake_server(clock, "ZhangSan", "LiSi")


@pytest.fixture
async def sender(
    fake: FakeWeComServer,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
) -> AsyncIterator[WeComSender]:
    async with open_platform_http(2.0, fake.transport()) as http:
        settings = wecom_settings(database_url, DATA_KEY)
        yield build_sender(settings, sessions=sessions, clock=clock, http=http)


async def test_an_image_is_uploaded_as_an_image_and_sent_confidential(
    sender: WeComSender, fake: FakeWeComServer
) -> None:
    message = image(PNG, name="统计-计算机学院.png", confidential=True)

    [delivery] = await sender.send(message, ["ZhangSan"], batch_key="img1")
    await sender.send(message, ["ZhangSan"], batch_key="img1")  # a retry: no second upload

    assert delivery.status == "sent"
    assert fake.uploads == [("统计-计算机学院.png", PNG)]
    upload = next(c for c in fake.calls if c.path == "media/upload")
    assert upload.params.get("type") == "image"
    send = next(c for c in fake.calls if c.path == "message/send")
    body = json.loads(send.body)
    assert body["msgtype"] == "image" and body["safe"] == 1
    [(_, kind, media_id)] = fake.deliveries
    assert kind == "image" and media_id == body["image"]["media_id"]


async def test_a_picture_that_is_not_one_is_refused_by_wecom(
    sender: WeComSender, fake: FakeWeComServer
) -> None:
    [delivery] = await sender.send(image(b"GIF89a", name="x.gif"), ["ZhangSan"], batch_key="i2")

    assert delivery.status == "failed" and fake.deliveries == []
