"""A captured DingTalk `timestamp`/`sign` pair is accepted once, on every replica, and no
callback can point anyone's replies at a session webhook it supplied."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.envelopes import text
from storage.db import session_scope
from storage.messaging import outbox
from storage.models import ApiToken
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.dingtalk import SESSION, FakeDingTalkServer
from tests.fakes.dingtalk_app import DingTalkHarness, dingtalk_app, dingtalk_settings
from tests.fakes.dingtalk_callbacks import robot_message
from tests.fakes.roster import make_staff

ADMIN = "admin0001"


@pytest.fixture
def fake(clock: FakeClock) -> FakeDingTalkServer:
    return FakeDingTalkServer(clock=clock)


@pytest.fixture
async def ding(
    database_url: str, engine: AsyncEngine, clock: FakeClock, fake: FakeDingTalkServer
) -> AsyncIterator[DingTalkHarness]:
    async with dingtalk_app(
        dingtalk_settings(database_url, DATA_KEY, fake), fake=fake, clock=clock
    ) as harness:
        yield harness


@pytest.fixture
async def staff(session: AsyncSession) -> None:
    await make_staff(session, name="李老师", code="T4521", dingtalk="manager4521")
    await make_staff(session, name="校管理员", code="X100", roles=("school_admin",), dingtalk=ADMIN)
    await session.commit()


async def row_counts(session: AsyncSession) -> dict[str, int]:
    await session.rollback()
    counts = {}
    for table in SQLModel.metadata.sorted_tables:
        counts[table.name] = (await session.exec(select(func.count()).select_from(table))).one()
    await session.rollback()
    return counts


async def test_a_replayed_sign_with_another_body_is_refused_and_changes_nothing(
    ding: DingTalkHarness, fake: FakeDingTalkServer, session: AsyncSession, staff: None
) -> None:
    captured = ding.headers()
    genuine = await ding.callback(robot_message(fake, "manager4521", "帮助"), headers=captured)
    await ding.deliver()
    before = await row_counts(session)
    forged = robot_message(fake, ADMIN, "我是谁", session_minutes=None)

    replayed = await ding.callback(forged, headers=captured)
    await ding.deliver()

    assert (genuine.status_code, replayed.status_code) == (200, 403)
    assert await row_counts(session) == before
    assert fake.delivered_to(ADMIN) == []


async def test_a_second_replica_refuses_the_replay_too(
    database_url: str,
    engine: AsyncEngine,
    clock: FakeClock,
    fake: FakeDingTalkServer,
    ding: DingTalkHarness,
    staff: None,
) -> None:
    captured = ding.headers()
    first = await ding.callback(robot_message(fake, "manager4521", "帮助"), headers=captured)
    settings = dingtalk_settings(database_url, DATA_KEY, fake)

    async with dingtalk_app(settings, fake=fake, clock=clock) as other:
        again = await other.callback(robot_message(fake, ADMIN, "我是谁"), headers=captured)

    assert (first.status_code, again.status_code) == (200, 403)


async def test_a_webhook_in_a_callback_never_carries_the_reply(
    ding: DingTalkHarness, fake: FakeDingTalkServer, session: AsyncSession, staff: None
) -> None:
    body = robot_message(fake, ADMIN, "我是谁", session_minutes=None)
    attacker_url, expires = fake.open_session("attacker")  # a real webhook, of someone else's chat
    body |= {"sessionWebhook": attacker_url, "sessionWebhookExpiredTime": expires}

    response = await ding.callback(body)
    await ding.deliver()

    assert response.status_code == 200
    assert fake.delivered_to("attacker") == [] and fake.calls_to(SESSION) == []
    [reply] = fake.delivered_to(ADMIN)
    assert reply.via == "batch" and "X100" in reply.text


async def test_a_callback_cannot_redirect_a_staff_members_later_messages(
    ding: DingTalkHarness, fake: FakeDingTalkServer, session: AsyncSession, staff: None
) -> None:
    await ding.callback(robot_message(fake, ADMIN, "帮助"))  # their own chat's webhook
    forged = robot_message(fake, ADMIN, "帮助", session_minutes=None)
    attacker_url, expires = fake.open_session("attacker")
    forged |= {"sessionWebhook": attacker_url, "sessionWebhookExpiredTime": expires}
    await ding.callback(forged)
    async with session_scope(ding.app.state.dispatcher.sessions) as db:
        await outbox.enqueue(
            db,
            channel="dingtalk",
            person_id=None,
            recipient=ADMIN,
            payload=text("安全风险提醒：张三").to_payload(),
            idempotency_key="alert:test",
            now=ding.clock.now(),
        )

    await ding.deliver()

    assert fake.delivered_to("attacker") == []
    assert {d.via for d in fake.delivered_to(ADMIN)} == {"batch"}
    assert "安全风险提醒：张三" in [d.text for d in fake.delivered_to(ADMIN)]
    stored = select(ApiToken).where(col(ApiToken.key).contains(ADMIN))
    assert (await session.exec(stored)).all() == []
