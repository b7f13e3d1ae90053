"""POST /dingtalk/callback: signature, limits, dedupe, replies via the robot API (session webhook
only for senders without a staff id)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.dingtalk.messages import button_text
from handlers.envelopes import Button
from storage.models import AuditEntry, InboundMessage, OutboxMessage
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.dingtalk import BATCH_SEND, SESSION, FakeDingTalkServer
from tests.fakes.dingtalk_app import DingTalkHarness, dingtalk_app, dingtalk_settings
from tests.fakes.dingtalk_callbacks import robot_message, signed_headers
from tests.fakes.roster import make_staff


@pytest.fixture
def fake(clock: FakeClock) -> FakeDingTalkServer:
    return FakeDingTalkServer(clock=clock)


@pytest.fixture
async def ding(
    database_url: str, engine: AsyncEngine, clock: FakeClock, fake: FakeDingTalkServer
) -> AsyncIterator[DingTalkHarness]:
    settings = dingtalk_settings(database_url, DATA_KEY, fake)
    async with dingtalk_app(settings, fake=fake, clock=clock) as harness:
        yield harness


@pytest.fixture
async def manager(session: AsyncSession) -> str:
    await make_staff(session, name="李老师", code="T4521", dingtalk="manager4521")
    await session.commit()
    return "manager4521"


async def row_counts(session: AsyncSession) -> dict[str, int]:
    """Rows per table, read in a transaction of its own."""
    await session.rollback()
    counts = {}
    for table in SQLModel.metadata.sorted_tables:
        counts[table.name] = (await session.exec(select(func.count()).select_from(table))).one()
    await session.rollback()  # SQLite: our BEGIN IMMEDIATE must not block the app's writes
    return counts


async def test_signed_help_is_answered_through_batch_send_even_with_a_session_open(
    ding: DingTalkHarness, fake: FakeDingTalkServer, manager: str
) -> None:
    response = await ding.callback(robot_message(fake, manager, "帮助", session_minutes=90))
    await ding.deliver()

    assert response.status_code == 200 and response.json() == {}
    [reply] = fake.delivered_to(manager)
    assert reply.via == "batch" and reply.msg_key == "sampleText"
    assert "李老师" in reply.text and "【帮扶老师】" in reply.text
    [call] = fake.calls_to(BATCH_SEND)
    assert call.body["userIds"] == [manager] and call.body["robotCode"] == fake.app_key
    assert fake.calls_to(SESSION) == []


async def test_a_session_dingtalk_refuses_fails_a_sender_without_staff_id(
    ding: DingTalkHarness, fake: FakeDingTalkServer, session: AsyncSession
) -> None:
    fake.fail_next(SESSION, status=400, code="sessionExpired")
    await ding.callback(robot_message(fake, None, "你好", sender_id="$:LWCP_v1:$external=="))
    await ding.deliver()

    assert fake.deliveries == [] and fake.calls_to(BATCH_SEND) == []
    [row] = (await session.exec(select(OutboxMessage))).all()
    assert row.status == "failed"


async def test_wrong_sign_is_refused_and_nothing_is_written(
    ding: DingTalkHarness, fake: FakeDingTalkServer, session: AsyncSession, manager: str
) -> None:
    before = await row_counts(session)
    now_ms = int(ding.clock.now().timestamp() * 1000)
    forged = signed_headers(now_ms, "not-the-app-secret")

    response = await ding.callback(robot_message(fake, manager, "帮助"), headers=forged)
    unsigned = await ding.callback(robot_message(fake, manager, "帮助"), headers={})

    assert response.status_code == 403 and unsigned.status_code == 403
    assert await row_counts(session) == before


async def test_stale_timestamp_is_refused_even_when_correctly_signed(
    ding: DingTalkHarness, fake: FakeDingTalkServer, session: AsyncSession, manager: str
) -> None:
    before = await row_counts(session)
    two_hours_ago = int(ding.clock.now().timestamp() * 1000) - 2 * 3600 * 1000

    response = await ding.callback(
        robot_message(fake, manager), headers=signed_headers(two_hours_ago, fake.app_secret)
    )

    assert response.status_code == 403
    assert await row_counts(session) == before


async def test_clock_skew_zero_turns_the_time_check_off(
    database_url: str, engine: AsyncEngine, clock: FakeClock, fake: FakeDingTalkServer, manager: str
) -> None:
    settings = dingtalk_settings(database_url, DATA_KEY, fake)
    settings.dingtalk_max_clock_skew = 0
    two_hours_ago = int(clock.now().timestamp() * 1000) - 2 * 3600 * 1000

    async with dingtalk_app(settings, fake=fake, clock=clock) as ding:
        response = await ding.callback(
            robot_message(fake, manager), headers=signed_headers(two_hours_ago, fake.app_secret)
        )

    assert response.status_code == 200


async def test_malformed_json_is_400(ding: DingTalkHarness, fake: FakeDingTalkServer) -> None:
    now_ms = int(ding.clock.now().timestamp() * 1000)
    headers = signed_headers(now_ms, fake.app_secret)

    broken = await ding.client.post("/dingtalk/callback", content=b"{not json", headers=headers)
    a_list = await ding.client.post("/dingtalk/callback", content=b"[1, 2]", headers=headers)

    assert broken.status_code == 400 and a_list.status_code == 400


async def test_body_over_64_kib_is_413(
    ding: DingTalkHarness, fake: FakeDingTalkServer, session: AsyncSession, manager: str
) -> None:
    before = await row_counts(session)
    body = robot_message(fake, manager, "帮" * 30_000)  # 90 KB of UTF-8

    response = await ding.callback(body)

    assert response.status_code == 413
    assert await row_counts(session) == before


async def test_a_chunked_body_over_64_kib_is_413_whatever_it_declares(
    ding: DingTalkHarness, fake: FakeDingTalkServer, session: AsyncSession, manager: str
) -> None:
    before = await row_counts(session)
    huge = json.dumps(robot_message(fake, manager, "帮" * 30_000), ensure_ascii=False).encode()

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the real size counts
        for start in range(0, len(huge), 8192):
            yield huge[start : start + 8192]

    response = await ding.client.post(
        "/dingtalk/callback", content=chunks(), headers=ding.headers()
    )

    assert response.status_code == 413
    assert await row_counts(session) == before


async def test_a_redelivered_message_is_answered_once(
    ding: DingTalkHarness, fake: FakeDingTalkServer, session: AsyncSession, manager: str
) -> None:
    body = robot_message(fake, manager, "帮助", msg_id="msgSameId==")

    first = await ding.callback(body)
    second = await ding.callback(body)
    await ding.deliver()

    assert first.status_code == second.status_code == 200
    assert len(fake.delivered_to(manager)) == 1
    query = select(InboundMessage).where(InboundMessage.channel == "dingtalk")
    assert len((await session.exec(query)).all()) == 1


async def test_quota_error_without_text_is_acknowledged_and_not_dispatched(
    ding: DingTalkHarness, fake: FakeDingTalkServer, session: AsyncSession, manager: str
) -> None:
    before = await row_counts(session)
    body: dict[str, Any] = robot_message(fake, manager, text=None, session_minutes=None)
    body.update(errorCode=20001, errorMsg="quota exceeded")

    response = await ding.callback(body)
    await ding.deliver()

    assert response.status_code == 200 and response.json() == {}
    after = await row_counts(session)
    assert after == before | {"inbound_message": before["inbound_message"] + 1}  # the sign
    assert fake.deliveries == []


async def test_a_picture_gets_the_not_understood_reply(
    ding: DingTalkHarness, fake: FakeDingTalkServer, manager: str
) -> None:
    body = robot_message(fake, manager, text=None)
    body.update(msgtype="picture", content={"downloadCode": "abc", "pictureDownloadCode": "abc"})

    response = await ding.callback(body)
    await ding.deliver()

    assert response.status_code == 200
    [reply] = fake.delivered_to(manager)
    assert "没有听懂" in reply.text


async def test_unknown_staff_id_gets_the_polite_reply(
    ding: DingTalkHarness, fake: FakeDingTalkServer, session: AsyncSession
) -> None:
    await ding.callback(robot_message(fake, "stranger01", "你好"))
    await ding.deliver()

    [reply] = fake.delivered_to("stranger01")
    assert "学生工作办公室" in reply.text and reply.via == "batch"
    audit = (await session.exec(select(AuditEntry))).all()
    assert [entry.action for entry in audit] == ["unknown_account"]


async def test_sender_without_staff_id_is_answered_in_the_conversation_only(
    ding: DingTalkHarness, fake: FakeDingTalkServer
) -> None:
    body = robot_message(fake, None, "你好", sender_id="$:LWCP_v1:$external==")

    response = await ding.callback(body)
    await ding.deliver()

    assert response.status_code == 200
    [reply] = fake.delivered_to("$:LWCP_v1:$external==")
    assert reply.via == "session" and "学生工作办公室" in reply.text
    assert fake.calls_to(BATCH_SEND) == []


async def test_a_group_message_is_answered_privately_not_in_the_group(
    ding: DingTalkHarness, fake: FakeDingTalkServer, manager: str
) -> None:
    await ding.callback(robot_message(fake, manager, "我是谁", conversation_type="2"))
    await ding.deliver()

    [reply] = fake.delivered_to(manager)
    assert reply.via == "batch" and "T4521" in reply.text
    assert fake.calls_to(SESSION) == []


async def test_a_pressed_button_arrives_as_its_key(
    ding: DingTalkHarness, fake: FakeDingTalkServer, manager: str
) -> None:
    pressed = button_text(Button(key="我是谁", label="看看我的身份"), secret=fake.app_secret)

    await ding.callback(robot_message(fake, manager, pressed))
    await ding.deliver()

    [reply] = fake.delivered_to(manager)
    assert "T4521" in reply.text  # whoami ran: the key, not the label, reached the handler


async def test_a_typed_button_with_a_wrong_code_stays_text(
    ding: DingTalkHarness, fake: FakeDingTalkServer, manager: str
) -> None:
    await ding.callback(robot_message(fake, manager, "看看 [我是谁#000000]"))
    await ding.deliver()

    [reply] = fake.delivered_to(manager)
    assert "没有听懂" in reply.text


async def test_replies_are_outbox_rows_marked_sent(
    ding: DingTalkHarness, fake: FakeDingTalkServer, session: AsyncSession, manager: str
) -> None:
    await ding.callback(robot_message(fake, manager, "帮助"))
    queued = (await session.exec(select(OutboxMessage.status))).all()
    await session.rollback()
    await ding.deliver()
    sent = (await session.exec(select(OutboxMessage.status))).all()

    assert queued == ["queued"]
    assert sent == ["sent"]
