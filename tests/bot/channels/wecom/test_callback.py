"""The WeCom callback: URL verification, passive replies, dedupe, refusals that write nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry, InboundMessage, OutboxMessage
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff
from tests.fakes.wecom import FakeWeComServer
from tests.fakes.wecom_callbacks import (
    OTHER_AES_KEY,
    CallbackBuilder,
    fake_server,
    running_app,
    wecom_settings,
)

URL = "/wecom/callback"


@pytest.fixture
def fake(clock: FakeClock) -> FakeWeComServer:
    return fake_server(clock, "ZhangSan")


@pytest.fixture
async def wecom(
    database_url: str, clock: FakeClock, fake: FakeWeComServer, engine: AsyncEngine
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with running_app(wecom_settings(database_url, DATA_KEY), clock, fake) as pair:
        yield pair


@pytest.fixture
def client(wecom: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return wecom[1]


@pytest.fixture
def callbacks(clock: FakeClock) -> CallbackBuilder:
    return CallbackBuilder(clock)


async def _counts(session: AsyncSession) -> dict[str, int]:
    """Rows in every table, to prove a refused callback wrote nothing anywhere."""
    counts = {}
    for table in SQLModel.metadata.sorted_tables:
        counts[table.name] = (await session.exec(select(func.count()).select_from(table))).one()
    await session.rollback()
    return counts


async def _staff(session: AsyncSession, account: str = "ZhangSan") -> None:
    await make_staff(session, name="张老师", wecom=account)
    await session.commit()


async def test_url_verification_answers_the_bare_echostr(
    client: httpx.AsyncClient, callbacks: CallbackBuilder
) -> None:
    response = await client.get(URL, params=callbacks.verification("1616140317555161061"))

    assert response.status_code == 200
    assert response.content == b"1616140317555161061"
    assert response.headers["content-type"].startswith("text/plain")


async def test_url_verification_with_a_bad_signature_is_refused(
    client: httpx.AsyncClient, callbacks: CallbackBuilder
) -> None:
    params = {**callbacks.verification(), "msg_signature": "0" * 40}

    response = await client.get(URL, params=params)

    assert response.status_code == 403
    assert b"1616140317555161061" not in response.content


async def test_registered_user_gets_help_as_an_encrypted_passive_reply(
    client: httpx.AsyncClient,
    callbacks: CallbackBuilder,
    session: AsyncSession,
    fake: FakeWeComServer,
) -> None:
    await _staff(session)
    callback = callbacks.text("ZhangSan", "帮助")

    response = await client.post(URL, params=callback.params, content=callback.body)

    assert response.status_code == 200
    reply = callbacks.open_reply(response.content)
    assert reply["MsgType"] == "text"
    assert reply["ToUserName"] == "ZhangSan"
    assert reply["FromUserName"] == callbacks.corp_id
    assert "张老师" in reply["Content"] and "常用指令" in reply["Content"]
    assert fake.sends() == []  # nothing went through the API


async def test_unknown_user_gets_the_polite_reply_and_only_an_audit_row(
    client: httpx.AsyncClient, callbacks: CallbackBuilder, session: AsyncSession
) -> None:
    callback = callbacks.text("Stranger", "你好")

    response = await client.post(URL, params=callback.params, content=callback.body)

    assert "学生工作办公室" in callbacks.open_reply(response.content)["Content"]
    audit = (await session.exec(select(AuditEntry))).all()
    assert [entry.action for entry in audit] == ["unknown_account"]
    assert (await session.exec(select(OutboxMessage))).all() == []
    [delivery] = (await session.exec(select(InboundMessage))).all()  # so a retry is not re-audited
    assert delivery.channel == "wecom"


async def test_a_redelivered_message_runs_the_handler_once_and_gets_the_same_reply(
    client: httpx.AsyncClient, callbacks: CallbackBuilder, session: AsyncSession
) -> None:
    await _staff(session)
    msg_id = callbacks.msg_id()
    first = callbacks.text("ZhangSan", "我是谁", msg_id=msg_id)
    again = callbacks.text("ZhangSan", "我是谁", msg_id=msg_id)  # WeCom's retry: same MsgId

    one = await client.post(URL, params=first.params, content=first.body)
    two = await client.post(URL, params=again.params, content=again.body)

    assert (
        callbacks.open_reply(two.content)["Content"] == callbacks.open_reply(one.content)["Content"]
    )
    assert len((await session.exec(select(OutboxMessage))).all()) == 1
    assert len((await session.exec(select(InboundMessage))).all()) == 1


async def test_non_text_message_gets_the_kind_not_understood_answer(
    client: httpx.AsyncClient, callbacks: CallbackBuilder, session: AsyncSession
) -> None:
    await _staff(session)
    image = callbacks.message(
        "ZhangSan", {"MsgType": "image", "PicUrl": "http://p/1.jpg", "MediaId": "m", "MsgId": "42"}
    )

    response = await client.post(URL, params=image.params, content=image.body)

    assert "还没有听懂" in callbacks.open_reply(response.content)["Content"]


async def test_other_events_get_an_empty_answer_and_run_no_handler(
    client: httpx.AsyncClient, callbacks: CallbackBuilder, session: AsyncSession
) -> None:
    await _staff(session)
    before = await _counts(session)
    event = callbacks.message("ZhangSan", {"MsgType": "event", "Event": "enter_agent"})

    response = await client.post(URL, params=event.params, content=event.body)

    assert (response.status_code, response.content) == (200, b"")
    assert await _counts(session) == before


@pytest.mark.parametrize("case", ["signature", "aes_key", "corp_id", "stale", "future", "no_query"])
async def test_callbacks_that_do_not_verify_are_refused_without_a_database_write(
    case: str, client: httpx.AsyncClient, clock: FakeClock, session: AsyncSession
) -> None:
    await _staff(session)
    before = await _counts(session)
    builder = {
        "aes_key": CallbackBuilder(clock, aes_key=OTHER_AES_KEY),
        "corp_id": CallbackBuilder(clock, corp_id="wwsomebodyelse000"),
    }.get(case, CallbackBuilder(clock))
    callback = builder.text("ZhangSan", "帮助")
    params = dict(callback.params)
    if case == "signature":
        params["msg_signature"] = "f" * 40
    elif case in ("stale", "future"):
        clock.advance(seconds=301 if case == "stale" else -301)
    elif case == "no_query":
        params = {}

    response = await client.post(URL, params=params, content=callback.body)

    assert response.status_code == 403
    assert await _counts(session) == before


async def test_clock_skew_check_can_be_turned_off(
    database_url: str,
    clock: FakeClock,
    fake: FakeWeComServer,
    engine: AsyncEngine,
    session: AsyncSession,
) -> None:
    await _staff(session)
    callback = CallbackBuilder(clock).text("ZhangSan", "帮助")
    clock.advance(days=2)
    settings = wecom_settings(database_url, DATA_KEY, wecom_max_clock_skew=0)

    async with running_app(settings, clock, fake) as (_, client):
        response = await client.post(URL, params=callback.params, content=callback.body)

    assert response.status_code == 200 and response.content


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><Encrypt>abc</Encrypt>",
        b"not xml at all",
        b'<!DOCTYPE xml [<!ENTITY x "boom">]><xml><Encrypt>&x;</Encrypt></xml>',
        b'<!DOCTYPE xml SYSTEM "http://evil/x.dtd"><xml><Encrypt>a</Encrypt></xml>',
        b"<xml><ToUserName>x</ToUserName></xml>",
    ],
    ids=["unclosed", "text", "entity", "doctype", "no-encrypt"],
)
async def test_malformed_bodies_are_bad_requests(
    body: bytes, client: httpx.AsyncClient, callbacks: CallbackBuilder, session: AsyncSession
) -> None:
    before = await _counts(session)
    params = callbacks.text("ZhangSan", "帮助").params

    response = await client.post(URL, params=params, content=body)

    assert response.status_code == 400
    assert await _counts(session) == before


async def test_a_doctype_inside_the_encrypted_message_is_a_bad_request(
    client: httpx.AsyncClient, callbacks: CallbackBuilder, session: AsyncSession
) -> None:
    before = await _counts(session)
    inner = '<!DOCTYPE xml [<!ENTITY e "x">]><xml><FromUserName>&e;</FromUserName></xml>'
    callback = callbacks.seal(inner)

    response = await client.post(URL, params=callback.params, content=callback.body)

    assert response.status_code == 400
    assert await _counts(session) == before


async def test_bodies_over_64_kib_are_refused(
    client: httpx.AsyncClient, callbacks: CallbackBuilder
) -> None:
    params = callbacks.text("ZhangSan", "帮助").params
    huge = b"<xml><Encrypt>" + b"A" * (64 * 1024) + b"</Encrypt></xml>"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the real size counts
        for start in range(0, len(huge), 8192):
            yield huge[start : start + 8192]

    declared = await client.post(URL, params=params, content=huge)
    streamed = await client.post(URL, params=params, content=chunks())

    assert (declared.status_code, streamed.status_code) == (413, 413)
