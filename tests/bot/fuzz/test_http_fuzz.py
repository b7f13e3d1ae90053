"""schemathesis over every operation of the app's OpenAPI schema (WeCom, DingTalk, simulator,
health), in-process: never a 5xx, only documented status codes, nothing written by a refusal,
no error logged. A signing hook makes a share of the cases genuine (WeCom: a valid signature
around an encrypted message of fuzzed fields; DingTalk: a fresh valid sign; the simulator: a
person on the roster) so that the fuzz reaches the handlers, which must answer every message."""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import httpx
import pytest
import schemathesis
import xmltodict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import status_code_conformance
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import create_app
from bot.channels.wecom.callback import to_inbound
from bot.channels.wecom.envelope import parse_xml
from storage.messaging.outbox import by_key
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.dingtalk_callbacks import signed_headers
from tests.fakes.hostile import BUTTON_KEY, COMMAND_LINE, HOSTILE, Member, everyone, utf8
from tests.fakes.wecom_callbacks import CallbackBuilder, wecom_settings

OPERATIONS = (
    "GET /healthz",
    "GET /sim",
    "GET /sim/api/people",
    "POST /sim/api/send",
    "GET /sim/api/inbox",
    "GET /sim/static/{name}",
    "GET /wecom/callback",
    "POST /wecom/callback",
    "POST /dingtalk/callback",
)
DING_SECRET = "fuzz-dingtalk-secret"
EXAMPLES = {"POST /wecom/callback": 150, "POST /dingtalk/callback": 120, "POST /sim/api/send": 120}
CHECKS = [not_a_server_error, status_code_conformance]
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
WORDS = st.one_of(COMMAND_LINE, HOSTILE)
_ids = count(8_000_000_000_000_000_001)


@dataclass
class Expect:
    """What a signed case must get: one of `statuses`, and a reply to `answered` (channel,
    message id) when the message reached the handlers of a person on the roster."""

    statuses: frozenset[int]
    answered: tuple[str, str] | None = None


@dataclass
class Bench:
    app: Any
    client: httpx.AsyncClient
    session: AsyncSession
    clock: FakeClock
    members: list[Member]
    caplog: pytest.LogCaptureFixture
    builder: CallbackBuilder = field(init=False)
    cases: Counter[str] = field(default_factory=Counter)
    last_ms: int = 0

    def __post_init__(self) -> None:
        self.builder = CallbackBuilder(self.clock)
        self.schema = schemathesis.openapi.from_dict(self.app.openapi())

    def strategy(self, label: str) -> st.SearchStrategy[Any]:
        method, path = label.split(" ")
        operation = self.schema[path][method]
        modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        return st.one_of(*(operation.as_strategy(mode) for mode in modes))

    async def counts(self) -> dict[str, int]:
        """Rows in every table, in one round trip."""
        await self.session.rollback()
        names = [table.name for table in SQLModel.metadata.sorted_tables]
        columns = ", ".join(f'(SELECT count(*) FROM "{name}")' for name in names)
        connection = await self.session.connection()
        row = (await connection.execute(text(f"SELECT {columns}"))).one()
        await self.session.rollback()
        return dict(zip(names, row, strict=True))

    async def answered(self, channel: str, message_id: str) -> bool:
        await self.session.rollback()
        found = await by_key(self.session, f"reply:{channel}:{message_id}:0")
        await self.session.rollback()
        return found is not None

    def ding_headers(self) -> dict[str, str]:
        self.last_ms = max(int(self.clock.now().timestamp() * 1000), self.last_ms + 1)
        return signed_headers(self.last_ms, DING_SECRET)


@pytest.fixture
async def bench(
    database_url: str,
    engine: AsyncEngine,
    session: AsyncSession,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Bench]:
    members = await everyone(session)
    await session.commit()
    settings_ = wecom_settings(
        database_url,
        DATA_KEY,
        simulator=True,
        dingtalk_app_key="dingfuzzkey",
        dingtalk_app_secret=DING_SECRET,
        dingtalk_api_base="http://dingtalk.fake",
        # the clock stands still and a few people send every case: the limit would silence
        # them mid-run (it has its own tests, tests/bot/inbound/test_rate_limit.py)
        rate_limit_per_minute=0,
    )
    offline = httpx.MockTransport(lambda request: httpx.Response(200, json={"errcode": 0}))
    app = create_app(settings_, clock=clock, transport=offline, run_outbox=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            bench = Bench(app, c, session, clock, members, caplog)
            yield bench
            callspec = getattr(request.node, "callspec", None)
            label = callspec.params.get("label") if callspec else None
            await _finish(bench, label, request.node.user_properties.append)


async def _finish(bench: Bench, label: str | None, record: Any) -> None:
    """After all the examples of one operation: every accepted message was handled, the
    signing hook reached the handlers, and the case counts go to the summary line."""
    if label is None:
        return
    assert (await bench.counts())["pending_inbound"] == 0
    reached = bench.cases[f"{label} reached a handler"]
    record(("fuzz_cases", bench.cases[label]))
    record(("fuzz_signed", bench.cases[f"{label} signed"]))
    record(("fuzz_reached", reached))
    ran_through = bench.cases[label] >= 20  # (not cut short by a failure)
    if ran_through and label in SIGNERS and label != "GET /wecom/callback":
        assert reached >= 5, f"{label}: the signing hook reached {reached} handlers"


def test_every_operation_of_the_schema_is_fuzzed(bench: Bench) -> None:
    found = {f"{op.ok().method.upper()} {op.ok().path}" for op in bench.schema.get_all_operations()}
    assert found == set(OPERATIONS)
    production = create_app(wecom_settings("sqlite:///unused.db", DATA_KEY))
    assert production.openapi_url is None  # the schema is not served without the simulator
    assert not any(path.startswith("/sim") for path in production.openapi()["paths"])


# ---- the signing hook: a share of the cases made genuine ------------------------------------


def _person(data: st.DataObject, bench: Bench) -> Member | None:
    return data.draw(st.sampled_from([*bench.members, None]), label="sender")


def _wecom_fields(data: st.DataObject, user: str, bench: Bench) -> dict[str, str]:
    kind = data.draw(st.sampled_from(["text", "text", "text", "card", "image", "event"]))
    stamp = str(int(bench.clock.now().timestamp()))
    base = {"ToUserName": bench.builder.corp_id, "FromUserName": user, "CreateTime": stamp}
    if kind == "text":
        return {**base, "MsgType": "text", "Content": data.draw(WORDS), "MsgId": str(next(_ids))}
    if kind == "card":
        key = data.draw(st.one_of(BUTTON_KEY, HOSTILE), label="EventKey")
        return {
            **base,
            "MsgType": "event",
            "Event": "template_card_event",
            "EventKey": key,
            "TaskId": data.draw(st.text(max_size=20)),
            "ResponseCode": "fuzz-response-code",
        }
    if kind == "image":
        return {**base, "MsgType": "image", "PicUrl": "http://p", "MsgId": str(next(_ids))}
    return {**base, "MsgType": "event", "Event": data.draw(st.sampled_from(["subscribe", "x"]))}


def sign_wecom_post(data: st.DataObject, bench: Bench, kwargs: dict[str, Any]) -> Expect:
    """A valid signature around well-formed fuzzed fields, or around anything at all."""
    member = _person(data, bench)
    user = member.wecom if member else data.draw(st.text(min_size=1, max_size=30), label="user")
    fields = {
        name: NOT_XML.sub("", value) for name, value in _wecom_fields(data, user, bench).items()
    }
    if data.draw(st.booleans(), label="raw inner text"):
        inner = utf8(data.draw(st.one_of(HOSTILE, st.text()), label="inner"))
        expect = Expect(frozenset({200, 400}))
    else:
        inner = xmltodict.unparse({"xml": fields}, full_document=False).encode()
        expect = Expect(frozenset({200}))
        inbound = to_inbound(parse_xml(inner), now=bench.clock.now())
        answerable = fields["MsgType"] != "event" or "EventKey" in fields
        if member is not None and inbound is not None and answerable:
            expect.answered = ("wecom", inbound.message_id)
    sealed = bench.builder.seal(inner)
    kwargs["params"], kwargs["data"] = sealed.params, sealed.body
    return expect


def sign_wecom_get(data: st.DataObject, bench: Bench, kwargs: dict[str, Any]) -> Expect:
    plain = NOT_XML.sub("", data.draw(st.text(min_size=1), label="echostr")) or "1"
    kwargs["params"] = bench.builder.verification(plain)
    return Expect(frozenset({200}))


def sign_dingtalk(data: st.DataObject, bench: Bench, kwargs: dict[str, Any]) -> Expect:
    kwargs["headers"].update(bench.ding_headers())
    body = kwargs.pop("json", None)
    expect = Expect(frozenset({200, 400}))
    if not isinstance(body, dict) or data.draw(st.booleans(), label="a message"):
        member = _person(data, bench)
        msg_id = f"msg{next(_ids)}"
        body = {
            "msgId": msg_id,
            "msgtype": "text",
            # as the simulator's: a message, not a body past the 64 KB limit (that is a 413)
            "text": {"content": data.draw(WORDS)[:3000]},
            "conversationType": "1",
            "senderId": "$:LWCP_v1:$fuzz==",
            **({"senderStaffId": member.dingtalk} if member else {}),
        }
        expect = Expect(frozenset({200}), ("dingtalk", msg_id) if member else None)
    kwargs["data"] = json.dumps(body).encode()  # ASCII escapes carry lone surrogates too
    return expect


def sign_simulator(data: st.DataObject, bench: Bench, kwargs: dict[str, Any]) -> Expect:
    member = data.draw(st.sampled_from(bench.members), label="person")
    said: dict[str, str] = {"user": member.code}
    if data.draw(st.booleans(), label="button"):
        said["button"] = data.draw(BUTTON_KEY)[:1000]
    else:
        said["text"] = data.draw(WORDS)[:3000]
    kwargs.pop("json", None)
    kwargs["data"] = json.dumps(said).encode()
    kwargs["headers"]["Content-Type"] = "application/json"
    return Expect(frozenset({200}), ("simulator", "replies"))


SIGNERS = {
    "POST /wecom/callback": sign_wecom_post,
    "GET /wecom/callback": sign_wecom_get,
    "POST /dingtalk/callback": sign_dingtalk,
    "POST /sim/api/send": sign_simulator,
}


# ---- the fuzz ---------------------------------------------------------------------------------


def _request(kwargs: dict[str, Any]) -> dict[str, Any]:
    """schemathesis's requests-style arguments for httpx; header values as UTF-8 bytes (a
    client may send any byte), bodies as the exact bytes generated."""
    headers = {name: str(value).encode() for name, value in kwargs.get("headers", {}).items()}
    body = kwargs.get("data")
    if "json" in kwargs:
        body = json.dumps(kwargs["json"]).encode()
    if isinstance(body, str):
        body = utf8(body)
    return {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "params": kwargs.get("params") or None,
        "headers": headers,
        "content": body,
    }


async def run_case(bench: Bench, label: str, data: st.DataObject) -> None:
    case = data.draw(bench.strategy(label), label="case")
    kwargs = case.as_transport_kwargs(base_url="http://127.0.0.1:8000")
    signer = SIGNERS.get(label)
    signed = signer is not None and data.draw(st.booleans(), label="signed")
    expect = signer(data, bench, kwargs) if signer is not None and signed else None
    before, logged = await bench.counts(), len(bench.caplog.records)

    response = await bench.client.request(**_request(kwargs))
    await bench.app.state.wecom.drain()
    await bench.app.state.safekeeping.drain()

    bench.cases[label] += 1
    bench.cases[f"{label} signed"] += signed
    case.validate_response(response, checks=CHECKS)
    errors = [r.getMessage() for r in bench.caplog.records[logged:] if r.levelno >= logging.ERROR]
    assert not errors, f"{label}: {errors}"
    if 400 <= response.status_code < 500:
        assert await bench.counts() == before, f"{label}: a refusal wrote rows"
    if expect is not None:
        assert response.status_code in expect.statuses, (label, response.status_code)
        await _check_answered(bench, label, expect, response)


async def _check_answered(
    bench: Bench, label: str, expect: Expect, response: httpx.Response
) -> None:
    if expect.answered is None or response.status_code != 200:
        return
    bench.cases[f"{label} reached a handler"] += 1
    channel, message_id = expect.answered
    if channel == "simulator":
        assert response.json()["replies"], "the simulator got no reply"
    else:
        assert await bench.answered(channel, message_id), f"{label}: no reply stored"


FUZZ = settings(
    max_examples=80,
    deadline=None,
    # CI runs the same cases every time (a landing is not refused for an input nobody has
    # run before); elsewhere each run explores new ones
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@pytest.mark.parametrize("label", OPERATIONS)
@given(data=st.data())
async def test_no_server_error_no_undocumented_status_no_write_on_refusal(
    bench: Bench, label: str, data: st.DataObject
) -> None:
    await run_case(bench, label, data)
