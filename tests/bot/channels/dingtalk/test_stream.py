"""Stream mode against a fake gateway: a local websocket server speaking DingTalk's protocol."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import typer
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession
from typer.testing import CliRunner
from websockets.asyncio.server import ServerConnection, serve

from bot.channels.dingtalk.api import BOT_TOPIC
from bot.channels.dingtalk.stream import Backoff, StreamClient
from bot.cli.dingtalk import register, run_stream
from bot.settings import Settings
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.dingtalk import GATEWAY, FakeDingTalkServer
from tests.fakes.dingtalk_app import dingtalk_settings
from tests.fakes.dingtalk_callbacks import robot_message
from tests.fakes.roster import make_staff


def ping(message_id: str, opaque: str) -> dict[str, Any]:
    headers = {"topic": "ping", "messageId": message_id, "contentType": "application/json"}
    return {
        "specVersion": "1.0",
        "type": "SYSTEM",
        "headers": headers,
        "data": json.dumps({"opaque": opaque}),
    }


def robot_frame(message_id: str, body: dict[str, Any]) -> dict[str, Any]:
    headers = {"topic": BOT_TOPIC, "messageId": message_id, "contentType": "application/json"}
    return {"specVersion": "1.0", "type": "CALLBACK", "headers": headers, "data": json.dumps(body)}


DISCONNECT = {
    "specVersion": "1.0",
    "type": "SYSTEM",
    "headers": {"topic": "disconnect"},
    "data": "{}",
}


@dataclass
class FakeGateway:
    """Accepts connections with a ticket the fake API issued (once), pushes one scripted list
    of frames per connection, and collects whatever the client answers."""

    fake: FakeDingTalkServer
    script: list[list[dict[str, Any]]]
    acks: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    acked: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for_acks(self, count: int) -> list[dict[str, Any]]:
        while len(self.acks) < count:
            self.acked.clear()
            await self.acked.wait()
        return self.acks

    async def handler(self, socket: ServerConnection) -> None:
        query = parse_qs(urlsplit(socket.request.path if socket.request else "").query)
        ticket = query.get("ticket", [""])[0]
        if ticket not in self.fake.tickets:
            self.refused += 1
            await socket.close(code=4001, reason="bad ticket")
            return
        self.fake.tickets.remove(ticket)  # a ticket opens one connection only
        for frame in self.script.pop(0) if self.script else []:
            await socket.send(json.dumps(frame))
        async for answer in socket:
            self.acks.append(json.loads(answer))
            self.acked.set()


@asynccontextmanager
async def gateway_for(
    fake: FakeDingTalkServer, *script: list[dict[str, Any]]
) -> AsyncIterator[FakeGateway]:
    gateway = FakeGateway(fake, list(script))
    async with serve(gateway.handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        fake.gateway_endpoint = f"ws://127.0.0.1:{port}/connect"
        yield gateway


@pytest.fixture
def fake(clock: FakeClock) -> FakeDingTalkServer:
    return FakeDingTalkServer(clock=clock)


@pytest.fixture
def settings(database_url: str, engine: AsyncEngine, fake: FakeDingTalkServer) -> Settings:
    return dingtalk_settings(database_url, DATA_KEY, fake)


@pytest.fixture
async def manager(session: AsyncSession) -> str:
    await make_staff(session, name="李老师", code="T4521", dingtalk="manager4521")
    await session.commit()
    return "manager4521"


@asynccontextmanager
async def streaming(
    settings: Settings, fake: FakeDingTalkServer, clock: FakeClock, **options: Any
) -> AsyncIterator[None]:
    stop = asyncio.Event()
    transport = httpx.ASGITransport(app=fake)
    task = asyncio.create_task(
        run_stream(settings, clock=clock, transport=transport, stop=stop, **options)
    )
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)


async def test_a_robot_message_over_the_stream_is_acked_and_answered(
    settings: Settings, fake: FakeDingTalkServer, clock: FakeClock, manager: str
) -> None:
    body = robot_message(fake, manager, "帮助")

    frames = [ping("p-1", "opaque-1"), robot_frame("m-1", body)]
    async with gateway_for(fake, frames) as gateway, streaming(settings, fake, clock):
        async with asyncio.timeout(5):
            reply = await fake.wait_for_delivery(manager)
            await gateway.wait_for_acks(2)

    assert reply.via == "batch" and "李老师" in reply.text
    pong, ack = gateway.acks
    assert pong == {
        "code": 200,
        "headers": {"messageId": "p-1", "contentType": "application/json"},
        "message": "OK",
        "data": json.dumps({"opaque": "opaque-1"}),
    }
    assert (ack["code"], ack["headers"]["messageId"]) == (200, "m-1")
    [opened] = fake.calls_to(GATEWAY)
    assert opened.body["subscriptions"] == [{"type": "CALLBACK", "topic": BOT_TOPIC}]
    assert (opened.body["clientId"], gateway.refused) == (fake.app_key, 0)


async def test_disconnect_makes_the_client_register_a_new_connection(
    settings: Settings, fake: FakeDingTalkServer, clock: FakeClock, manager: str
) -> None:
    body = robot_message(fake, manager, "我是谁")

    script = ([DISCONNECT], [robot_frame("m-2", body)])
    async with gateway_for(fake, *script) as gateway, streaming(settings, fake, clock):
        async with asyncio.timeout(5):
            reply = await fake.wait_for_delivery(manager)

    assert "T4521" in reply.text
    assert len(fake.calls_to(GATEWAY)) == 2 and gateway.refused == 0


async def test_failed_registrations_back_off_then_recover(
    settings: Settings, fake: FakeDingTalkServer, clock: FakeClock, manager: str
) -> None:
    fake.fail_next(GATEWAY, status=503, code="ServiceUnavailable", times=3)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    frames = [robot_frame("m-3", robot_message(fake, manager, "帮助"))]
    backoff = Backoff(first=1, cap=3)
    async with (
        gateway_for(fake, frames),
        streaming(settings, fake, clock, sleep=sleep, backoff=backoff),
    ):
        async with asyncio.timeout(5):
            await fake.wait_for_delivery(manager)

    assert waits[:4] == [0.0, 1.0, 2.0, 3.0]


class RecordingApi:
    async def open_connection(self, topics: list[str]) -> tuple[str, str]:
        raise AssertionError("not used")


async def test_frames_the_client_cannot_use_get_diagnostic_acks() -> None:
    async def failing(body: dict[str, Any]) -> None:
        raise RuntimeError("handler broke")

    client = StreamClient(api=RecordingApi(), on_message=failing)  # type: ignore[arg-type]
    event = {"type": "EVENT", "headers": {"topic": "*", "messageId": "e-1"}, "data": "{}"}
    bad_data = {
        "type": "CALLBACK",
        "headers": {"topic": BOT_TOPIC, "messageId": "c-1"},
        "data": "[]",
    }

    unknown, _ = await client.handle(json.dumps(event))
    malformed, _ = await client.handle(json.dumps(bad_data))
    broken, keep = await client.handle(json.dumps(robot_frame("c-2", {"msgId": "x"})))
    garbage = await client.handle("not json")
    _, stay = await client.handle(json.dumps(DISCONNECT))

    assert [json.loads(a or "")["code"] for a in (unknown, malformed, broken)] == [404, 400, 500]
    assert keep is True and garbage == (None, True) and stay is False


def test_the_command_refuses_to_start_without_dingtalk_credentials(database_url: str) -> None:
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    env = {"CAREBOT_DATA_KEY": DATA_KEY, "CAREBOT_DATABASE_URL": database_url}
    env |= {"CAREBOT_DINGTALK_APP_KEY": "dingkey", "CAREBOT_DINGTALK_APP_SECRET": ""}

    result = CliRunner().invoke(app, ["dingtalk-stream"], env=env)

    assert result.exit_code == 2
    assert "CAREBOT_DINGTALK_APP_KEY" in result.output
