"""Text is cleaned at every channel's edge: a lone surrogate cannot break the crisis path, and
control characters, bidi overrides and zero-width characters are never stored or echoed."""

from __future__ import annotations

import json

import httpx
import pytest
import xmltodict
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Alert, Person
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.dingtalk import FakeDingTalkServer
from tests.fakes.dingtalk_app import dingtalk_app, dingtalk_settings
from tests.fakes.dingtalk_callbacks import robot_message
from tests.fakes.roster import make_staff, make_student
from tests.fakes.wecom_callbacks import CallbackBuilder, fake_server, running_app, wecom_settings

HOTLINE = "400-161-9995"
CRISIS = "\ud800 不想活了"  # what a JSON "\ud800 ..." decodes to
HIDDEN = "\u202e\u2066\u200b\u200d\ufeff\x07\x1b\x00\x7f\x85"


@pytest.fixture
async def student(session: AsyncSession) -> Person:
    """张三 (S001, on every channel) with a counsellor (T101), and his academic mentor T100."""
    mentor = await make_staff(session, name="王老师", code="T100", roles=("academic_mentor",))
    counsellor = await make_staff(session, name="李老师", code="T101", wecom="LiLaoshi")
    person = await make_student(
        session,
        name="张三",
        code="S001",
        wecom="ZhangSan",
        dingtalk="zhangsan01",
        team={"academic_mentor": mentor, "student_affairs": counsellor},
    )
    await session.commit()
    return person


async def alerts_about(session: AsyncSession, student: Person) -> list[Alert]:
    await session.rollback()
    return list((await session.exec(select(Alert).where(Alert.student_id == student.id))).all())


async def test_a_lone_surrogate_in_the_simulator_still_gets_the_hotline_and_an_alert(
    client: httpx.AsyncClient, session: AsyncSession, student: Person
) -> None:
    body = json.dumps({"user": "S001", "text": CRISIS})  # ASCII JSON: "\ud800" as an escape

    response = await client.post(
        "/sim/api/send", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 200
    replies = "\n".join(reply["text"] for reply in response.json()["replies"])
    assert HOTLINE in replies
    [alert] = await alerts_about(session, student)
    assert alert.raised_by == student.id and "不想活了" in (alert.detail or "")


async def test_a_lone_surrogate_in_a_wecom_callback_still_gets_the_hotline_and_an_alert(
    database_url: str, engine: AsyncEngine, clock: FakeClock, session: AsyncSession, student: Person
) -> None:
    callbacks = CallbackBuilder(clock)
    fields = {"ToUserName": callbacks.corp_id, "FromUserName": "ZhangSan", "MsgType": "text"}
    fields |= {"CreateTime": str(int(clock.now().timestamp())), "Content": CRISIS, "MsgId": "9"}
    plain = xmltodict.unparse({"xml": fields}, full_document=False)
    callback = callbacks.seal(plain.encode("utf-8", "surrogatepass"))  # as a client let it through
    fake = fake_server(clock, "ZhangSan", "LiLaoshi")

    async with running_app(wecom_settings(database_url, DATA_KEY), clock, fake) as (_, client):
        response = await client.post(
            "/wecom/callback", params=callback.params, content=callback.body
        )

    assert response.status_code == 200
    assert HOTLINE in callbacks.open_reply(response.content)["Content"]
    [alert] = await alerts_about(session, student)
    assert alert.raised_by == student.id


async def test_a_lone_surrogate_in_a_dingtalk_callback_still_gets_the_hotline_and_an_alert(
    database_url: str, engine: AsyncEngine, clock: FakeClock, session: AsyncSession, student: Person
) -> None:
    fake = FakeDingTalkServer(clock=clock)
    async with dingtalk_app(
        dingtalk_settings(database_url, DATA_KEY, fake), fake=fake, clock=clock
    ) as ding:
        raw = json.dumps(robot_message(fake, "zhangsan01", CRISIS)).encode()  # "\ud800" escaped
        response = await ding.client.post("/dingtalk/callback", content=raw, headers=ding.headers())
        await ding.deliver()

    assert response.status_code == 200
    assert any(HOTLINE in delivery.text for delivery in fake.delivered_to("zhangsan01"))
    [alert] = await alerts_about(session, student)
    assert alert.raised_by == student.id


async def test_control_characters_and_bidi_overrides_are_not_echoed_back(
    client: httpx.AsyncClient, student: Person
) -> None:
    typed = f"查看 {HIDDEN[:3]}张{HIDDEN[3:6]}三{HIDDEN[6:]}"

    response = await client.post("/sim/api/send", json={"user": "T100", "text": typed})

    assert response.status_code == 200
    replies = "\n".join(reply["text"] for reply in response.json()["replies"])
    assert "张三" in replies  # the hidden characters no longer split the name: he is found
    assert not set(HIDDEN) & set(replies)


async def test_hidden_characters_are_cleaned_from_a_pressed_wecom_button_key(
    database_url: str, engine: AsyncEngine, clock: FakeClock, session: AsyncSession, student: Person
) -> None:
    callbacks = CallbackBuilder(clock)
    click = callbacks.card_click(
        "ZhangSan", "我是\u200b谁\u202e", task_id="t1", response_code="rc1"
    )
    fake = fake_server(clock, "ZhangSan")

    async with running_app(wecom_settings(database_url, DATA_KEY), clock, fake) as (app, client):
        response = await client.post("/wecom/callback", params=click.params, content=click.body)
        await app.state.wecom.drain()
        await app.state.outbox.drain()

    assert response.status_code == 200
    assert any("S001" in str(content) for content in fake.contents_for("ZhangSan"))
