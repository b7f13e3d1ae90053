"""Safety risks reach the right people at once, 1:1, and climb when nobody acknowledges them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import create_app
from bot.settings import Settings
from handlers.context import Context, HandlerConfig
from handlers.safety.alerts import escalate_due
from storage.db import session_scope
from storage.messaging.outbox import payload_of
from storage.models import Alert, AuditEntry, OutboxMessage, Person
from storage.people.identify import AccountMatch
from storage.safety.words import default_crisis_words
from tests.fakes.chat import Chat
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student

RISK_LINE = "记录 张三 谈心 今天 宿舍 聊了聊近况 效果稳定 有风险"
LEVEL_ONE = {"T101", "A100", "C100"}  # student-affairs teacher, own college admin, psych centre


@pytest.fixture
async def people(session: AsyncSession) -> dict[str, int]:
    """张三's team, the admins of two colleges, the psychological centre, a school admin and a
    teacher from another team (T999)."""
    mentor = await make_staff(session, name="王老师", code="T100", roles=("academic_mentor",))
    counsellor = await make_staff(session, name="李老师", code="T101", roles=("counsellor",))
    peer = await make_student(session, name="学长", code="P001")
    await make_student(
        session,
        name="张三",
        code="S001",
        team={"academic_mentor": mentor, "student_affairs": counsellor, "peer_mentor": peer},
    )
    await make_staff(session, name="院管理员", code="A100", roles=("college_admin",))
    await make_staff(session, code="A200", roles=("college_admin",), college="外国语学院")
    await make_staff(session, code="C100", roles=("psych_center",), college="心理中心")
    await make_staff(session, name="校管理员", code="X100", roles=("school_admin",), college="")
    await make_staff(session, code="T999", roles=("academic_mentor",))
    await session.commit()
    rows = await session.exec(select(Person))
    return {person.code: person.id or 0 for person in rows.all()}


async def _alerts(session: AsyncSession) -> list[Alert]:
    await session.rollback()
    return list((await session.exec(select(Alert).order_by(col(Alert.id)))).all())


async def _alert_rows(session: AsyncSession, level: int = 1) -> dict[str, OutboxMessage]:
    """Outbox rows of alert messages at `level`, by recipient code."""
    await session.rollback()
    query = select(OutboxMessage).where(col(OutboxMessage.idempotency_key).startswith("alert:"))
    rows = (await session.exec(query)).all()
    chosen = [row for row in rows if f":level{level}:" in row.idempotency_key]
    by_code = {row.recipient: row for row in chosen}
    assert len(by_code) == len(chosen), "one row per recipient"
    return by_code


async def _audit(session: AsyncSession, action: str) -> list[AuditEntry]:
    await session.rollback()
    return list((await session.exec(select(AuditEntry).where(AuditEntry.action == action))).all())


async def _escalate(sessions: async_sessionmaker[AsyncSession], clock: FakeClock) -> int:
    config = HandlerConfig(
        tz=ZoneInfo("Asia/Shanghai"),
        hotline="400-161-9995",
        channels=("simulator",),
        account_match={"simulator": AccountMatch.ROSTER_CODE},
        crisis_words=default_crisis_words(),
        alert_escalation=timedelta(hours=2),
    )
    async with session_scope(sessions) as db:
        return await escalate_due(Context(session=db, now=clock.now(), config=config))


async def test_a_risky_visit_log_alerts_level_one_with_a_handled_button(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    chat = Chat(client, "T100")
    await chat.say(RISK_LINE)
    await chat.say("晚上经常失眠，说压力很大")

    assert "已立即通知" in await chat.say("确认")

    [alert] = await _alerts(session)
    assert (alert.student_id, alert.raised_by) == (people["S001"], people["T100"])
    assert (alert.source, alert.status, alert.level) == ("visit_log", "open", 1)
    button = {"key": f"alert:ack:{alert.id}", "label": "已处理"}
    rows = await _alert_rows(session)
    assert set(rows) == LEVEL_ONE
    card = payload_of(rows["T101"])
    assert card["kind"] == "card" and card["title"] == "安全风险提醒"
    assert card["buttons"] == [button]
    assert "张三" in card["text"] and "王老师的帮扶记录" in card["text"]
    assert "晚上经常失眠" in card["text"]
    assert len(await _audit(session, "alert_raised")) == 1


async def test_alerts_arrive_in_the_recipients_inbox_only(
    settings: Settings, clock: FakeClock, people: dict[str, int]
) -> None:
    quiet = create_app(settings, clock=clock, run_outbox=False)
    async with _client(quiet) as client:
        await Chat(client, "T100").say(RISK_LINE)
        await Chat(client, "T100").say("说压力很大，想休学")
        await Chat(client, "T100").say("确认")
        await quiet.state.outbox.drain()

        inboxes = {code: await _inbox(client, code) for code in people}

    alerted = {code for code, titles in inboxes.items() if "安全风险提醒" in titles}
    assert alerted == LEVEL_ONE
    assert inboxes["S001"] == [] and inboxes["P001"] == []


async def test_a_student_in_crisis_gets_the_hotline_and_their_counsellor_is_alerted(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    reply = await Chat(client, "S001").say("我真的不想活了")

    assert "400-161-9995" in reply and "没有听懂" not in reply
    [alert] = await _alerts(session)
    assert (alert.student_id, alert.raised_by, alert.source) == (
        people["S001"],
        people["S001"],
        "message",
    )
    rows = await _alert_rows(session)
    assert set(rows) == LEVEL_ONE
    assert "学生本人的消息" in payload_of(rows["A100"])["text"]


async def test_crisis_words_mid_form_alert_about_that_student_and_the_form_goes_on(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    chat = Chat(client, "T100")
    assert "请简要记录" in await chat.say("记录 张三 谈心 今天 宿舍")

    reply = await chat.say("他说最近不想活了，情绪很低落")

    assert "已立即通知" in reply and "效果评估" in reply
    [alert] = await _alerts(session)
    assert (alert.student_id, alert.raised_by) == (people["S001"], people["T100"])
    assert set(await _alert_rows(session)) == LEVEL_ONE
    await chat.say("有所恶化")
    await chat.say("有")
    await chat.say("提到了轻生的念头")
    await chat.say("跳过")
    await chat.say("确认")
    assert len(await _alerts(session)) == 1  # the log's risk is the same open alert


PILLS = "我已经吞了一整瓶安眠药，在东区1栋楼顶"


async def _cards_by_recipient(session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    """Every alert message queued (its payload), per recipient code, oldest first."""
    await session.rollback()
    query = select(OutboxMessage).where(col(OutboxMessage.idempotency_key).startswith("alert:"))
    cards: dict[str, list[dict[str, Any]]] = {}
    for row in (await session.exec(query.order_by(col(OutboxMessage.id)))).all():
        cards.setdefault(row.recipient, []).append(payload_of(row))
    return cards


async def test_every_further_crisis_message_within_the_hour_reaches_everyone_marked_new(
    client: httpx.AsyncClient, session: AsyncSession, clock: FakeClock, people: dict[str, int]
) -> None:
    chat = Chat(client, "S001")
    await chat.say("有点不想活")
    clock.advance(seconds=1)

    again = await chat.say(PILLS)
    clock.advance(minutes=1)
    third = await chat.say("我在楼顶，不想活了")

    assert "400-161-9995" in again and "400-161-9995" in third
    cards = await _cards_by_recipient(session)
    [alert] = await _alerts(session)
    assert set(cards) == LEVEL_ONE
    button = [{"key": f"alert:ack:{alert.id}", "label": "已处理"}]
    for rows in cards.values():
        first, second, last = rows
        assert "有点不想活" in first["text"] and "新消息" not in first["title"]
        assert "新消息" in second["title"] and PILLS in second["text"]
        assert "我在楼顶" in last["text"] and "新消息" in last["title"]
        assert second["buttons"] == last["buttons"] == button
    clock.advance(minutes=65)
    await chat.say("还是不想活")
    assert len(await _alerts(session)) == 2  # an hour on: a new alert


async def test_a_literal_repeat_within_five_minutes_is_folded(
    client: httpx.AsyncClient, session: AsyncSession, clock: FakeClock, people: dict[str, int]
) -> None:
    chat = Chat(client, "S001")
    await chat.say("我真的不想活了")
    clock.advance(minutes=4, seconds=59)

    repeat = await chat.say("我真的不想活了")

    assert "400-161-9995" in repeat
    assert [len(rows) for rows in (await _cards_by_recipient(session)).values()] == [1, 1, 1]
    clock.advance(seconds=2)  # five minutes after the last one that went out
    await chat.say("我真的不想活了")
    assert [len(rows) for rows in (await _cards_by_recipient(session)).values()] == [2, 2, 2]
    assert len(await _alerts(session)) == 1


async def test_a_follow_up_reaches_the_teacher_who_raised_the_alert_who_may_then_handle_it(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int]
) -> None:
    counsellor = Chat(client, "T101")
    await counsellor.say(RISK_LINE)
    await counsellor.say("说压力很大")
    await counsellor.say("确认")
    assert "T101" not in await _cards_by_recipient(session)  # the writer is not told again

    await Chat(client, "S001").say("我不想活了")

    cards = await _cards_by_recipient(session)
    [alert] = await _alerts(session)
    assert set(cards) == LEVEL_ONE
    [card] = cards["T101"]
    assert "新消息" in card["title"] and "我不想活了" in card["text"]
    assert "已标记为已处理" in await counsellor.press(f"alert:ack:{alert.id}")


async def test_handled_by_a_recipient_then_already_handled_and_never_escalated(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    people: dict[str, int],
) -> None:
    await Chat(client, "S001").say("我不想活了")
    [alert] = await _alerts(session)

    done = await Chat(client, "T101").press(f"alert:ack:{alert.id}")
    again = await Chat(client, "C100").press(f"alert:ack:{alert.id}")

    assert "已标记为已处理" in done and "李老师处理过了" in again
    [alert] = await _alerts(session)
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", people["T101"])
    [entry] = await _audit(session, "alert_acknowledged")
    assert entry.actor_id == people["T101"]
    clock.advance(hours=3)
    assert await _escalate(sessions, clock) == 0
    assert await _alert_rows(session, level=2) == {}


@pytest.mark.parametrize("code", ["T999", "A200", "S001"])
async def test_only_recipients_may_mark_an_alert_handled(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, int], code: str
) -> None:
    await Chat(client, "T100").say(RISK_LINE)
    await Chat(client, "T100").say("说压力很大")
    await Chat(client, "T100").say("确认")
    [alert] = await _alerts(session)

    reply = await Chat(client, code).press(f"alert:ack:{alert.id}")

    assert "不是发给你的" in reply and "帮扶小组" not in reply
    [alert] = await _alerts(session)
    assert alert.status == "open"
    expected = f"alert {alert.id}"
    [entry] = await _audit(session, "denied_alert_ack")
    assert (entry.actor_id, entry.subject_id, entry.detail) == (
        people[code],
        people["S001"],
        expected,
    )


async def test_an_unacknowledged_alert_climbs_to_the_school_admin_after_two_hours(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    people: dict[str, int],
) -> None:
    await Chat(client, "S001").say("我不想活了")
    clock.advance(hours=1, minutes=59)
    assert await _escalate(sessions, clock) == 0
    clock.advance(minutes=1)

    assert await _escalate(sessions, clock) == 1

    [alert] = await _alerts(session)
    assert (alert.level, alert.status) == (2, "open")
    button = {"key": f"alert:ack:{alert.id}", "label": "已处理"}
    rows = await _alert_rows(session, level=2)
    assert "X100" in rows and "S001" not in rows and "A200" not in rows
    card = payload_of(rows["X100"])
    assert card["title"] == "【升级】安全风险提醒" and "已升级" in card["text"]
    assert card["buttons"] == [button]
    clock.advance(hours=5)
    assert await _escalate(sessions, clock) == 0  # level 2 is the top


async def test_the_school_admin_may_handle_an_escalated_alert(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    people: dict[str, int],
) -> None:
    await Chat(client, "S001").say("我不想活了")
    [alert] = await _alerts(session)
    assert "不是发给你的" in await Chat(client, "X100").press(f"alert:ack:{alert.id}")
    clock.advance(hours=2)
    await _escalate(sessions, clock)

    assert "已标记为已处理" in await Chat(client, "X100").press(f"alert:ack:{alert.id}")


async def test_with_no_counsellor_college_admin_or_psych_centre_the_school_admin_is_alerted(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_student(session, name="孤雁", code="S900", college="体育学院")
    await make_staff(session, code="X900", roles=("school_admin",), college="")
    await make_staff(session, code="T900", roles=("academic_mentor",), college="体育学院")
    await session.commit()

    await Chat(client, "S900").say("我不想活了")

    assert len(await _alerts(session)) == 1
    assert set(await _alert_rows(session)) == {"X900"}
    assert "孤雁" in payload_of((await _alert_rows(session))["X900"])["text"]


@asynccontextmanager
async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A simulator client for an app whose outbox the test drives by hand."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            yield client


async def _inbox(client: httpx.AsyncClient, code: str) -> list[str]:
    response = await client.get("/sim/api/inbox", params={"user": code})
    assert response.status_code == 200
    return [message["title"] for message in response.json()["messages"]]
