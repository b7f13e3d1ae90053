"""The 5-second window: passive replies in time, the outbox when the handler is slow, and card
clicks answered by updating the card."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

import bot.inbound.dispatch
from bot.channels.base import IN_RESPONSE, PassiveWindow
from bot.channels.wecom.callback import Timing
from bot.inbound.dispatch import Dispatcher, Outcome
from storage.models import OutboxMessage, OutboxStatus
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff
from tests.fakes.wecom import FakeWeComServer
from tests.fakes.wecom_callbacks import CallbackBuilder, fake_server, running_app, wecom_settings

URL = "/wecom/callback"


@pytest.fixture
def fake(clock: FakeClock) -> FakeWeComServer:
    return fake_server(clock, "ZhangSan")


@pytest.fixture
async def wecom(
    database_url: str,
    clock: FakeClock,
    fake: FakeWeComServer,
    engine: AsyncEngine,
    session: AsyncSession,
) -> AsyncIterator[FastAPI]:
    await make_staff(session, name="张老师", wecom="ZhangSan")
    await session.commit()
    async with running_app(wecom_settings(database_url, DATA_KEY), clock, fake) as (app, _):
        app.state.wecom.timing = Timing(passive=0.8, claimed=2.0)
        yield app


@pytest.fixture
async def client(wecom: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=wecom)
    async with httpx.AsyncClient(transport=transport, base_url="http://carebot.test") as client:
        yield client


@pytest.fixture
def callbacks(clock: FakeClock) -> CallbackBuilder:
    return CallbackBuilder(clock)


@dataclass
class SlowDispatcher:
    """The real dispatcher, started `delay` seconds late (a slow handler); keeps the windows."""

    inner: Dispatcher
    delay: float = 0.0
    windows: list[PassiveWindow] = field(default_factory=list)

    @property
    def clock(self) -> Any:
        return self.inner.clock

    async def hold(self, inbound: Any, handling: Any) -> None:
        await self.inner.hold(inbound, handling)

    async def dispatch(self, inbound: Any, **options: Any) -> Outcome:
        if options.get("window") is not None:
            self.windows.append(options["window"])
        await asyncio.sleep(self.delay)
        return await self.inner.dispatch(inbound, **options)


def slow_commits(monkeypatch: pytest.MonkeyPatch, delay: float) -> None:
    """The dispatcher's first transaction waits `delay` before it commits: the reply is
    claimed for the response early, but the handler finishes late."""
    delays = [delay]

    @asynccontextmanager
    async def scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
        async with factory() as session, session.begin():
            yield session
            await asyncio.sleep(delays.pop() if delays else 0)

    monkeypatch.setattr(bot.inbound.dispatch, "session_scope", scope)


async def _outbox(session: AsyncSession) -> list[OutboxMessage]:
    rows = list((await session.exec(select(OutboxMessage))).all())
    session.expunge_all()  # keep the loaded values; end the transaction (SQLite write lock)
    await session.rollback()
    return rows


async def test_slow_handler_answers_empty_and_the_reply_comes_through_the_outbox(
    wecom: FastAPI,
    client: httpx.AsyncClient,
    callbacks: CallbackBuilder,
    fake: FakeWeComServer,
    session: AsyncSession,
) -> None:
    wecom.state.dispatcher = SlowDispatcher(wecom.state.dispatcher, delay=1.2)
    callback = callbacks.text("ZhangSan", "帮助")

    response = await client.post(URL, params=callback.params, content=callback.body)
    await wecom.state.wecom.drain()
    sent = await wecom.state.outbox.run_once()

    assert (response.status_code, response.content) == (200, b"")
    assert sent == 1
    [content] = fake.contents_for("ZhangSan")
    assert "常用指令" in content
    [row] = await _outbox(session)
    assert row.status == OutboxStatus.SENT and row.platform_msgid != IN_RESPONSE


async def test_reply_claimed_but_late_is_abandoned_and_requeued(
    wecom: FastAPI,
    client: httpx.AsyncClient,
    callbacks: CallbackBuilder,
    fake: FakeWeComServer,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slow_commits(monkeypatch, delay=3.0)  # longer than the 2 s the route waits in all
    wecom.state.dispatcher = recorder = SlowDispatcher(wecom.state.dispatcher)
    callback = callbacks.text("ZhangSan", "帮助")

    response = await client.post(URL, params=callback.params, content=callback.body)
    await wecom.state.wecom.drain()
    [queued] = await _outbox(session)
    await wecom.state.outbox.run_once()

    assert response.content == b""
    [window] = recorder.windows
    assert (window.state, window.abandoned) == ("claimed", True)
    assert queued.status == OutboxStatus.QUEUED and queued.platform_msgid is None
    assert fake.delivered_to("ZhangSan") == 1


async def test_reply_claimed_and_finished_a_little_late_still_goes_passively(
    wecom: FastAPI,
    client: httpx.AsyncClient,
    callbacks: CallbackBuilder,
    fake: FakeWeComServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slow_commits(monkeypatch, delay=1.4)  # past the 0.8 s close, within the 2 s total
    wecom.state.dispatcher = recorder = SlowDispatcher(wecom.state.dispatcher)
    callback = callbacks.text("ZhangSan", "帮助")

    response = await client.post(URL, params=callback.params, content=callback.body)
    await wecom.state.outbox.run_once()

    [window] = recorder.windows
    assert (window.state, window.abandoned) == ("claimed", False)
    assert "常用指令" in callbacks.open_reply(response.content)["Content"]
    assert fake.sends() == []


async def test_card_click_is_a_button_press_and_the_card_is_updated_passively(
    wecom: FastAPI,
    client: httpx.AsyncClient,
    callbacks: CallbackBuilder,
    fake: FakeWeComServer,
) -> None:
    click = callbacks.card_click(
        "ZhangSan", "我是谁", task_id="carebot-1", response_code=fake.new_response_code()
    )

    response = await client.post(URL, params=click.params, content=click.body)
    await wecom.state.outbox.run_once()

    update = callbacks.open_reply(response.content)
    assert update["MsgType"] == "update_button"
    assert update["Button"]["ReplaceName"] == "已处理"
    [answer] = fake.contents_for("ZhangSan")
    assert "张老师" in answer  # the whoami answer: the button key was handled as a command


async def test_a_repeated_card_click_is_handled_once(
    wecom: FastAPI,
    client: httpx.AsyncClient,
    callbacks: CallbackBuilder,
    fake: FakeWeComServer,
    session: AsyncSession,
) -> None:
    code = fake.new_response_code()
    first = callbacks.card_click("ZhangSan", "帮助", task_id="t1", response_code=code)
    again = callbacks.card_click("ZhangSan", "帮助", task_id="t1", response_code=code)

    one = await client.post(URL, params=first.params, content=first.body)
    two = await client.post(URL, params=again.params, content=again.body)

    assert callbacks.open_reply(two.content)["MsgType"] == "update_button"
    assert one.status_code == 200
    assert len(await _outbox(session)) == 1


async def test_slow_card_click_updates_the_card_through_the_api(
    wecom: FastAPI,
    client: httpx.AsyncClient,
    callbacks: CallbackBuilder,
    fake: FakeWeComServer,
) -> None:
    wecom.state.dispatcher = SlowDispatcher(wecom.state.dispatcher, delay=1.2)
    code = fake.new_response_code()
    click = callbacks.card_click("ZhangSan", "帮助", task_id="carebot-2", response_code=code)

    response = await client.post(URL, params=click.params, content=click.body)
    await wecom.state.wecom.drain()

    assert response.content == b""
    [update] = fake.card_updates
    assert update["response_code"] == code
    assert update["userids"] == ["ZhangSan"]
    assert update["button"] == {"replace_name": "已处理"}
