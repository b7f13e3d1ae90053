"""Hostile bodies are bad requests (400) on both messengers, never a 500 or a parsed message:
deep JSON, expiry times that are no time, XML declarations hidden in UTF-16, fields twice."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import xmltodict
from fastapi import FastAPI
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.dingtalk.api import BOT_TOPIC
from bot.channels.dingtalk.stream import StreamClient
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.dingtalk import FakeDingTalkServer
from tests.fakes.dingtalk_app import DingTalkHarness, dingtalk_app, dingtalk_settings
from tests.fakes.dingtalk_callbacks import robot_message
from tests.fakes.roster import make_staff
from tests.fakes.wecom_callbacks import CallbackBuilder, fake_server, running_app, wecom_settings

EXPIRY = '"sessionWebhookExpiredTime": 1'
NESTED = b'{"msgId": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"  # 60 KB: under the size limit


async def row_counts(session: AsyncSession) -> dict[str, int]:
    await session.rollback()
    counts = {}
    for table in SQLModel.metadata.sorted_tables:
        counts[table.name] = (await session.exec(select(func.count()).select_from(table))).one()
    await session.rollback()
    return counts


# ---- DingTalk -------------------------------------------------------------------------------


@pytest.fixture
async def ding(
    database_url: str, engine: AsyncEngine, clock: FakeClock
) -> AsyncIterator[DingTalkHarness]:
    fake = FakeDingTalkServer(clock=clock)
    settings = dingtalk_settings(database_url, DATA_KEY, fake)
    async with dingtalk_app(settings, fake=fake, clock=clock) as harness:
        yield harness


def with_expiry(ding: DingTalkHarness, literal: str) -> bytes:
    body = robot_message(ding.fake, "manager4521", "帮助")
    body["sessionWebhookExpiredTime"] = 1
    raw = json.dumps(body, ensure_ascii=False)
    assert EXPIRY in raw
    return raw.replace(EXPIRY, f'"sessionWebhookExpiredTime": {literal}').encode()


async def test_deeply_nested_json_is_a_bad_request(
    ding: DingTalkHarness, session: AsyncSession
) -> None:
    before = await row_counts(session)

    response = await ding.client.post("/dingtalk/callback", content=NESTED, headers=ding.headers())

    assert response.status_code == 400
    assert await row_counts(session) == before


@pytest.mark.parametrize("literal", ["1e30", "1e400", "NaN", "-Infinity"])
async def test_an_expiry_that_is_no_time_is_a_bad_request(
    literal: str, ding: DingTalkHarness, session: AsyncSession
) -> None:
    await make_staff(session, code="T4521", dingtalk="manager4521")
    await session.commit()
    before = await row_counts(session)

    response = await ding.client.post(
        "/dingtalk/callback", content=with_expiry(ding, literal), headers=ding.headers()
    )

    assert response.status_code == 400
    assert await row_counts(session) == before


async def test_the_stream_acks_malformed_robot_messages_400_and_goes_on(
    ding: DingTalkHarness,
) -> None:
    received: list[dict[str, Any]] = []

    async def on_message(body: dict[str, Any]) -> None:
        received.append(body)

    client = StreamClient(api=None, on_message=on_message)  # type: ignore[arg-type]

    def frame(data: str, message_id: str) -> str:
        headers = {"topic": BOT_TOPIC, "messageId": message_id}
        return json.dumps({"type": "CALLBACK", "headers": headers, "data": data})

    deep, keep = await client.handle(frame(NESTED.decode(), "d-1"))
    nan, _ = await client.handle(frame('{"msgId": NaN}', "d-2"))
    huge, _ = await client.handle(frame('{"msgId": 1e400}', "d-3"))
    deep_frame = await client.handle(b"[" * 30_000 + b"]" * 30_000)

    assert [json.loads(a or "")["code"] for a in (deep, nan, huge)] == [400, 400, 400]
    assert keep is True and deep_frame == (None, True) and received == []


# ---- WeCom ----------------------------------------------------------------------------------


@pytest.fixture
async def wecom(
    database_url: str, clock: FakeClock, engine: AsyncEngine, session: AsyncSession
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    await make_staff(session, name="张老师", wecom="ZhangSan")
    await session.commit()
    fake = fake_server(clock, "ZhangSan")
    async with running_app(wecom_settings(database_url, DATA_KEY), clock, fake) as pair:
        yield pair


def inner_xml(callbacks: CallbackBuilder, **fields: str) -> str:
    common = {"ToUserName": callbacks.corp_id, "FromUserName": "ZhangSan", "MsgType": "text"}
    common |= {"CreateTime": str(int(callbacks.clock.now().timestamp())), "MsgId": "77"}
    return xmltodict.unparse({"xml": common | fields}, full_document=False)


async def post(client: httpx.AsyncClient, params: dict[str, str], body: bytes) -> int:
    response = await client.post("/wecom/callback", params=params, content=body)
    return response.status_code


async def test_a_doctype_in_a_utf16_outer_body_is_a_bad_request(
    wecom: tuple[FastAPI, httpx.AsyncClient], clock: FakeClock, session: AsyncSession
) -> None:
    callbacks = CallbackBuilder(clock)
    callback = callbacks.text("ZhangSan", "帮助")
    outer = callback.body.decode()
    declared = '<!DOCTYPE xml [<!ENTITY e "x">]>' + outer
    before = await row_counts(session)

    with_bom = await post(wecom[1], callback.params, declared.encode("utf-16"))
    without_bom = await post(wecom[1], callback.params, declared.encode("utf-16-le"))

    assert (with_bom, without_bom) == (400, 400)
    assert await row_counts(session) == before


async def test_a_doctype_in_a_utf16_encrypted_message_is_a_bad_request(
    wecom: tuple[FastAPI, httpx.AsyncClient], clock: FakeClock, session: AsyncSession
) -> None:
    callbacks = CallbackBuilder(clock)
    plain = '<!DOCTYPE xml [<!ENTITY e "help">]>' + inner_xml(callbacks, Content="&e;")
    callback = callbacks.seal(plain.replace("&amp;e;", "&e;").encode("utf-16-le"))
    before = await row_counts(session)

    assert await post(wecom[1], callback.params, callback.body) == 400
    assert await row_counts(session) == before


async def test_a_field_given_twice_is_a_bad_request(
    wecom: tuple[FastAPI, httpx.AsyncClient], clock: FakeClock, session: AsyncSession
) -> None:
    callbacks = CallbackBuilder(clock)
    inner = inner_xml(callbacks, Content="帮助").replace(
        "<FromUserName>ZhangSan</FromUserName>",
        "<FromUserName>ZhangSan</FromUserName><FromUserName>LiSi</FromUserName>",
    )
    twice_inside = callbacks.seal(inner)
    good = callbacks.text("ZhangSan", "帮助")
    agent = good.body.decode().replace("<AgentID>", "<AgentID>1</AgentID><AgentID>", 1)
    before = await row_counts(session)

    inside = await post(wecom[1], twice_inside.params, twice_inside.body)
    outside = await post(wecom[1], good.params, agent.encode())

    assert (inside, outside) == (400, 400)
    assert await row_counts(session) == before
