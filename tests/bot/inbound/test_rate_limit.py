"""The per-person rate limit through the real pipeline: the simulator and WeCom callbacks, two
replicas racing past the limit, and the decision itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import create_app
from bot.inbound.dispatch import Dispatcher
from bot.settings import Settings
from handlers.conversation.rate_limit import WINDOW, Verdict, verdict
from handlers.envelopes import Inbound
from storage.db import session_scope
from storage.messaging import inbound_rate
from storage.models import Alert, AuditEntry, InboundMessage
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student
from tests.fakes.wecom import FakeWeComServer
from tests.fakes.wecom_callbacks import CallbackBuilder, fake_server, running_app, wecom_settings

NOTICE = "每分钟最多"


@pytest.mark.parametrize(
    ("count", "limit", "notified", "crisis", "expected"),
    [
        (0, 20, False, False, Verdict.ALLOW),
        (19, 20, False, False, Verdict.ALLOW),
        (20, 20, False, False, Verdict.NOTIFY_ONCE),
        (20, 20, True, False, Verdict.DROP),
        (500, 20, True, False, Verdict.DROP),
        (500, 20, True, True, Verdict.ALLOW),  # crisis words always go through
        (500, 20, False, True, Verdict.ALLOW),
        (500, 0, True, False, Verdict.ALLOW),  # 0 turns the limit off
    ],
)
def test_the_verdict(
    count: int, limit: int, notified: bool, crisis: bool, expected: Verdict
) -> None:
    decided = verdict(count=count, limit=limit, already_notified=notified, is_crisis=crisis)
    assert decided is expected


@pytest.fixture
async def sim(
    settings: Settings, clock: FakeClock, engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    limited = settings.model_copy(update={"rate_limit_per_minute": 3})
    app = create_app(limited, clock=clock, run_outbox=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            yield client


async def _say(client: httpx.AsyncClient, user: str, text: str) -> list[str]:
    response = await client.post("/sim/api/send", json={"user": user, "text": text})
    assert response.status_code == 200, response.text
    return [reply["text"] for reply in response.json()["replies"]]


async def test_beyond_the_limit_one_notice_then_silence_until_the_minute_passes(
    sim: httpx.AsyncClient, session: AsyncSession, clock: FakeClock
) -> None:
    await make_staff(session, name="李老师", code="T1001")
    await make_staff(session, name="王老师", code="T1002")
    await session.commit()

    answered = [await _say(sim, "T1001", "我是谁") for _ in range(3)]
    clock.advance(seconds=10)
    [notice] = await _say(sim, "T1001", "我是谁")
    silent = [await _say(sim, "T1001", "帮助") for _ in range(3)]
    other = await _say(sim, "T1002", "我是谁")  # everyone else is answered as ever
    clock.advance(seconds=50)  # the first answers are a minute old: the window has passed
    later = await _say(sim, "T1001", "我是谁")

    assert all(len(replies) == 1 and "T1001" in replies[0] for replies in answered)
    assert NOTICE in notice and "3" in notice
    assert silent == [[], [], []]
    assert "T1002" in other[0]
    assert "T1001" in later[0]
    kept = select(InboundMessage).where(InboundMessage.channel == "simulator")
    assert len((await session.exec(kept)).all()) == 9  # every message is stored
    audit = (
        await session.exec(select(AuditEntry).where(AuditEntry.action == "rate_limited"))
    ).all()
    assert [entry.detail for entry in audit] == ["notify_once", "drop", "drop", "drop"]


async def test_crisis_words_go_through_over_the_limit(
    sim: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_student(session, name="小明", code="2023000001")
    await session.commit()
    for _ in range(4):
        await _say(sim, "2023000001", "你好")

    replies = await _say(sim, "2023000001", "我不想活了")

    assert any("400-161-9995" in reply for reply in replies)
    assert len((await session.exec(select(Alert))).all()) == 1


@pytest.fixture
def fake(clock: FakeClock) -> FakeWeComServer:
    return fake_server(clock, "ZhangSan")


@pytest.fixture
async def wecom(
    database_url: str, clock: FakeClock, fake: FakeWeComServer, engine: AsyncEngine
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = wecom_settings(database_url, DATA_KEY, rate_limit_per_minute=2)
    async with running_app(settings, clock, fake) as pair:
        yield pair


async def test_a_wecom_sender_over_the_limit_hears_the_notice_once(
    wecom: tuple[FastAPI, httpx.AsyncClient],
    clock: FakeClock,
    session: AsyncSession,
    fake: FakeWeComServer,
) -> None:
    app, client = wecom
    await make_staff(session, name="张老师", wecom="ZhangSan")
    await session.commit()
    callbacks = CallbackBuilder(clock)

    responses = []
    for _ in range(5):
        callback = callbacks.text("ZhangSan", "帮助")
        responses.append(
            await client.post("/wecom/callback", params=callback.params, content=callback.body)
        )
    await app.state.outbox.drain()

    assert [r.status_code for r in responses] == [200] * 5
    contents = [callbacks.open_reply(r.content)["Content"] if r.content else "" for r in responses]
    assert "张老师" in contents[0] and "张老师" in contents[1]
    assert NOTICE in contents[2]
    assert contents[3:] == ["", ""]
    assert fake.sends() == []  # the notice rode passively; nothing else was sent


async def _person(session: AsyncSession, code: str) -> int:
    person = await make_staff(session, code=code)
    await session.commit()
    assert person.id is not None
    return person.id


def _inbound(clock: FakeClock, code: str, n: int) -> Inbound:
    return Inbound("simulator", code, f"race-{n}", clock.now(), text="我是谁")


async def test_two_replicas_racing_past_the_limit_send_one_notice(
    sessions: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    clock: FakeClock,
    settings: Settings,
) -> None:
    await _person(session, "T2001")
    config = settings.model_copy(update={"rate_limit_per_minute": 2}).handler_config(("simulator",))
    replicas = [Dispatcher(sessions=sessions, clock=clock, config=config) for _ in range(2)]
    for n in range(2):
        await replicas[0].dispatch(_inbound(clock, "T2001", n), delivered=True)

    both = await asyncio.gather(
        *(
            r.dispatch(_inbound(clock, "T2001", 10 + n), delivered=True)
            for n, r in enumerate(replicas)
        )
    )

    assert sorted(len(outcome.replies) for outcome in both) == [0, 1]
    assert all(outcome.rate_limited for outcome in both)


async def test_the_notice_is_claimed_once_when_both_read_before_either_claims(
    sessions: async_sessionmaker[AsyncSession], session: AsyncSession, clock: FakeClock
) -> None:
    """The interleaving PostgreSQL allows: both transactions see no notice, then both claim."""
    person_id = await _person(session, "T3001")
    now = clock.now()
    where: dict[str, Any] = {"channel": "simulator", "person_id": person_id}

    seen = []
    for _ in range(2):  # each racer's read, in a transaction of its own, before any claim
        async with session_scope(sessions) as racer:
            seen.append(await inbound_rate.notified_since(racer, **where, now=now, window=WINDOW))
    decided = [verdict(count=5, limit=5, already_notified=s, is_crisis=False) for s in seen]

    async def claim() -> bool:
        async with session_scope(sessions) as racer:
            return await inbound_rate.claim_notice(racer, **where, now=now, window=WINDOW)

    claimed = await asyncio.gather(claim(), claim())

    assert decided == [Verdict.NOTIFY_ONCE, Verdict.NOTIFY_ONCE]
    assert sorted(claimed) == [False, True]
    async with session_scope(sessions) as after:
        assert await inbound_rate.notified_since(after, **where, now=now, window=WINDOW)


async def test_messages_arriving_together_are_counted_within_their_batch(
    sessions: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    clock: FakeClock,
    settings: Settings,
) -> None:
    await _person(session, "T4001")
    config = settings.model_copy(update={"rate_limit_per_minute": 2}).handler_config(("simulator",))
    dispatcher = Dispatcher(sessions=sessions, clock=clock, config=config)

    outcomes = await asyncio.gather(
        *(dispatcher.dispatch(_inbound(clock, "T4001", n), delivered=True) for n in range(4))
    )

    assert [len(outcome.replies) for outcome in outcomes] == [1, 1, 1, 0]
    assert [outcome.rate_limited for outcome in outcomes] == [False, False, True, True]
    assert NOTICE in outcomes[2].replies[0].message.text
