"""WeCom callback checks, each alone: the XML filter, the envelope (signature, key, CorpID),
what becomes an Inbound, the signed query and the body limit; refusals say why in the log."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from bot.channels.base import MalformedError, SignatureError
from bot.channels.wecom.callback import TooLarge, WeComCallback, read_body, to_inbound
from bot.channels.wecom.envelope import MAX_BODY, CallbackQuery, Envelope, parse_xml
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.wecom_callbacks import (
    AES_KEY,
    CORP_ID,
    TOKEN,
    CallbackBuilder,
    fake_server,
    running_app,
    wecom_settings,
)

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def envelope(corp_id: str = CORP_ID) -> Envelope:
    return Envelope(token=TOKEN, aes_key=AES_KEY, corp_id=corp_id)


def query_of(params: dict[str, str]) -> CallbackQuery:
    return CallbackQuery(
        params["msg_signature"], params["timestamp"], params["nonce"], params.get("echostr")
    )


# -- the XML filter -----------------------------------------------------------------------


def test_fields_are_read_from_text_or_utf8_bytes_nested_and_repeated() -> None:
    xml = (
        "<xml><A>一</A><B/><C><D>1</D><D>2</D><D>3</D><E>x</E></C>"
        "<F><G>only</G></F><H><I>1</I><I>2</I></H></xml>"
    )
    expected = {
        "A": "一",
        "B": None,
        "C": {"D": ["1", "2", "3"], "E": "x"},
        "F": {"G": "only"},
        "H": {"I": ["1", "2"]},
    }
    assert parse_xml(xml) == expected
    assert parse_xml(xml.encode("utf-8")) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"<xml><A>\xff\xfe</A></xml>", "the body is not UTF-8"),
        ("<xml><A>\x00</A></xml>", "XML declarations and NUL characters are not accepted"),
        ('<! doctype xml SYSTEM "x"><xml><A>1</A></xml>', "XML declarations"),
        ('<xml><!ENTITY e "x"><A>1</A></xml>', "XML declarations"),
        ("<xml><A>1</A>", "not well-formed XML (ParseError)"),
        ("<data><A>1</A></data>", "the root element must be <xml> with fields"),
        ("<xml></xml>", "the root element must be <xml> with fields"),
        ("<xml>text only</xml>", "the root element must be <xml> with fields"),
        ("<xml><A>1</A><B>2</B><A>3</A></xml>", "a field is given twice"),
    ],
)
def test_what_the_xml_filter_refuses_and_why(raw: bytes | str, reason: str) -> None:
    with pytest.raises(MalformedError) as refused:
        parse_xml(raw)
    assert str(refused.value).startswith(reason)


# -- the envelope ---------------------------------------------------------------------------


def test_a_sealed_message_opens_to_its_fields(clock: FakeClock) -> None:
    callback = CallbackBuilder(clock).text("ZhangSan", "你好 ]]> <b>", msg_id=42)
    fields = envelope().open(callback.body, query_of(callback.params))
    assert (fields["FromUserName"], fields["Content"], fields["MsgId"]) == (
        "ZhangSan",
        "你好 ]]> <b>",
        "42",
    )
    assert fields["ToUserName"] == CORP_ID


@pytest.mark.parametrize("length", range(32))
def test_a_message_of_any_length_opens_whatever_its_padding(clock: FakeClock, length: int) -> None:
    callback = CallbackBuilder(clock).text("ZhangSan", "x" * length, msg_id=1)
    fields = envelope().open(callback.body, query_of(callback.params))
    assert fields["Content"] == ("x" * length or None)


def test_bytes_that_are_not_utf8_inside_a_verified_message_become_replacement_marks(
    clock: FakeClock,
) -> None:
    builder = CallbackBuilder(clock)
    plain = "<xml><FromUserName>ZhangSan</FromUserName><MsgType>text</MsgType>"
    callback = builder.seal(plain.encode() + b"<Content>\xed\xa0\x80 hi</Content></xml>")
    fields = envelope().open(callback.body, query_of(callback.params))
    assert fields["Content"] == "\ufffd\ufffd\ufffd hi"


@pytest.mark.parametrize("case", ["signature", "corp_id", "timestamp", "nonce"])
def test_an_envelope_that_does_not_verify_names_no_content(case: str, clock: FakeClock) -> None:
    callback = CallbackBuilder(clock).text("ZhangSan", "帮助")
    params = dict(callback.params)
    opener = envelope()
    if case == "corp_id":
        opener = envelope("wwsomebodyelse000")
    else:
        key = {"signature": "msg_signature"}.get(case, case)
        params[key] = params[key][:-1] + ("1" if params[key][-1] != "1" else "2")
    with pytest.raises(SignatureError) as refused:
        opener.open(callback.body, query_of(params))
    why = "ValueError" if case == "corp_id" else "signature"
    assert str(refused.value) == f"callback does not verify ({why})"


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><ToUserName>x</ToUserName></xml>",
        b"<xml><Encrypt/></xml>",
        b"<xml><Encrypt><A>1</A></Encrypt></xml>",
    ],
)
def test_a_body_without_an_encrypted_message_is_malformed(body: bytes, clock: FakeClock) -> None:
    params = CallbackBuilder(clock).text("ZhangSan", "帮助").params
    with pytest.raises(MalformedError, match=r"^no Encrypt field$"):
        envelope().open(body, query_of(params))


def test_url_verification_decrypts_the_echostr_and_needs_one(clock: FakeClock) -> None:
    params = CallbackBuilder(clock).verification("1616140317555161061")
    assert envelope().echo(query_of(params)) == "1616140317555161061"
    with pytest.raises(SignatureError):
        envelope().echo(query_of({**params, "echostr": ""}))
    assert envelope().corp_id == CORP_ID


def test_a_passive_reply_keeps_typed_cdata_ends_inert(clock: FakeClock) -> None:
    builder = CallbackBuilder(clock)
    query = CallbackQuery("sig", "1700000000", "nonce")
    opener = envelope()
    xml = opener.text_reply(to="ZhangSan", content="a]]><b>x</b>", at=NOW)
    assert parse_xml(xml)["Content"] == "a]]><b>x</b>"
    assert builder.open_reply(opener.seal(xml, query))["Content"] == "a]]><b>x</b>"


# -- what becomes an Inbound ------------------------------------------------------------


def fields(**values: Any) -> dict[str, Any]:
    return {"FromUserName": "ZhangSan", "CreateTime": "1700000000", **values}


def test_a_text_message_becomes_an_inbound_with_its_cleaned_text() -> None:
    inbound = to_inbound(fields(MsgType="TEXT", Content="帮助\u202e\r\n", MsgId="9"), now=NOW)
    assert inbound is not None
    assert (inbound.channel, inbound.account, inbound.message_id) == ("wecom", "ZhangSan", "9")
    assert (inbound.received_at, inbound.text, inbound.button) == (NOW, "帮助\n", None)


def test_a_picture_becomes_empty_text_keyed_by_sender_and_time() -> None:
    inbound = to_inbound(fields(MsgType="image", PicUrl="http://x", Content="附言"), now=NOW)
    assert inbound is not None and (inbound.text, inbound.button) == ("", None)
    raw = "ZhangSan\n1700000000"
    assert inbound.message_id == "evt-" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def test_a_card_click_becomes_a_button_keyed_by_task_and_button() -> None:
    click = fields(MsgType="event", Event="TEMPLATE_CARD_EVENT", EventKey="ack:1\u200b", TaskId="t")
    inbound = to_inbound(click, now=NOW)
    assert inbound is not None and (inbound.text, inbound.button) == (None, "ack:1")
    assert (inbound.channel, inbound.account, inbound.received_at) == ("wecom", "ZhangSan", NOW)
    raw = "ZhangSan\n1700000000\nt\nack:1\u200b"
    assert inbound.message_id == "evt-" + hashlib.sha256(raw.encode()).hexdigest()[:40]
    other = to_inbound({**click, "EventKey": "ack:2"}, now=NOW)
    assert other is not None and other.message_id != inbound.message_id


@pytest.mark.parametrize("event", ["enter_agent", "subscribe", ""])
def test_other_events_become_nothing(event: str) -> None:
    assert to_inbound(fields(MsgType="event", Event=event), now=NOW) is None


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ({"CreateTime": "1", "MsgType": "text"}, "no FromUserName"),
        ({"FromUserName": "a", "CreateTime": "1"}, "no MsgType"),
        ({"FromUserName": "a", "MsgType": "image"}, "no CreateTime"),
        (fields(MsgType="text", Content={"A": "1"}), "Content is not a single value"),
        (fields(MsgType=["text", "text"]), "MsgType is not a single value"),
    ],
)
def test_a_message_missing_or_repeating_a_field_is_malformed(
    message: dict[str, Any], reason: str
) -> None:
    with pytest.raises(MalformedError) as refused:
        to_inbound(message, now=NOW)
    assert str(refused.value) == reason


def test_a_text_without_content_is_empty_text() -> None:
    inbound = to_inbound(fields(MsgType="text", MsgId="1"), now=NOW)
    assert inbound is not None and inbound.text == ""


# -- the signed query and the body ----------------------------------------------------------


def request(query: str = "", body: bytes = b"", headers: dict[str, str] | None = None) -> Request:
    chunks = [body[i : i + 1000] for i in range(0, len(body), 1000)] or [b""]

    async def receive() -> dict[str, Any]:
        chunk = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    raw_headers = [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {"type": "http", "query_string": query.encode(), "headers": raw_headers}
    return Request(scope, receive)


STAMP = str(int(NOW.timestamp()))
SIGNED = f"msg_signature=s&timestamp={STAMP}&nonce=n"


def test_a_complete_fresh_query_is_read_in_full() -> None:
    callback = WeComCallback(envelope=envelope(), max_skew=300)
    assert callback.query(request(SIGNED), now=NOW) == CallbackQuery("s", STAMP, "n", None)
    echoed = callback.query(request(SIGNED + "&echostr=e"), now=NOW, echo=True)
    assert echoed.echostr == "e" and callback.max_skew == 300


@pytest.mark.parametrize(
    "query",
    [
        "",
        f"timestamp={STAMP}&nonce=n",
        "msg_signature=s&nonce=n",
        f"msg_signature=s&timestamp={STAMP}",
        f"msg_signature=&timestamp={STAMP}&nonce=n",
    ],
)
def test_an_incomplete_query_is_refused(query: str) -> None:
    with pytest.raises(SignatureError, match=r"^incomplete callback query$"):
        WeComCallback(envelope=envelope(), max_skew=300).query(request(query), now=NOW)


def test_url_verification_needs_the_echostr() -> None:
    with pytest.raises(SignatureError, match=r"^incomplete callback query$"):
        WeComCallback(envelope=envelope(), max_skew=300).query(request(SIGNED), now=NOW, echo=True)


@pytest.mark.parametrize(
    ("offset", "fresh"), [(300, True), (-300, True), (301, False), (-301, False)]
)
def test_the_timestamp_may_be_off_by_the_skew_either_way(offset: int, fresh: bool) -> None:
    stamp = str(int(NOW.timestamp()) + offset)
    query = request(f"msg_signature=s&timestamp={stamp}&nonce=n")
    callback = WeComCallback(envelope=envelope(), max_skew=300)
    if fresh:
        assert callback.query(query, now=NOW).timestamp == stamp
    else:
        with pytest.raises(SignatureError, match=r"^callback timestamp too far from now$"):
            callback.query(query, now=NOW)
    assert WeComCallback(envelope=envelope(), max_skew=0).query(query, now=NOW).timestamp == stamp


def test_a_timestamp_that_is_no_number_is_refused() -> None:
    query = request("msg_signature=s&timestamp=soon&nonce=n")
    with pytest.raises(SignatureError, match=r"^callback timestamp too far from now$"):
        WeComCallback(envelope=envelope(), max_skew=300).query(query, now=NOW)


async def test_a_body_of_exactly_the_limit_is_read_and_one_byte_more_is_refused() -> None:
    exact = b"x" * MAX_BODY
    assert await read_body(request(body=exact)) == exact
    declared = {"content-length": str(MAX_BODY)}
    assert await read_body(request(body=exact, headers=declared)) == exact
    with pytest.raises(TooLarge, match=r"^body too large$"):
        await read_body(request(body=exact + b"x"))
    with pytest.raises(TooLarge, match=r"^body too large$"):
        await read_body(request(body=b"x", headers={"content-length": str(MAX_BODY + 1)}))


async def test_a_refusal_over_http_logs_its_reason(
    clock: FakeClock, caplog: pytest.LogCaptureFixture, wecom_client: httpx.AsyncClient
) -> None:
    callback = CallbackBuilder(clock).text("ZhangSan", "帮助")
    params = {**callback.params, "msg_signature": "f" * 40}
    response = await wecom_client.post("/wecom/callback", params=params, content=callback.body)
    assert response.status_code == 403
    refused = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        m.startswith("wecom callback refused (403): callback does not verify") for m in refused
    )


@pytest.fixture
async def wecom_client(
    database_url: str, clock: FakeClock, engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    settings = wecom_settings(database_url, DATA_KEY)
    async with running_app(settings, clock, fake_server(clock, "ZhangSan")) as (_, client):
        yield client
