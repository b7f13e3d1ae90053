"""The WeCom sender against the fake server: batching, duplicate check, tokens, errors, cards,
files and long texts."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.base import ConfigurationError, Outbound, TransientError
from bot.channels.http import PlatformHttp, open_platform_http
from bot.channels.wecom.channel import build_sender
from bot.channels.wecom.sender import WeComSender, split_text
from bot.outbox.sender import OutboxSender
from storage.db import session_scope
from storage.messaging import outbox
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.wecom import FakeWeComServer
from tests.fakes.wecom_callbacks import SECRET, fake_server, running_app, wecom_settings

HELLO = Outbound(kind="text", text="下周一下午三点在学工办开会。")


@pytest.fixture
def fake(clock: FakeClock) -> FakeWeComServer:
    server = fake_server(clock, "ZhangSan", "LiSi")
    server.hang_seconds = 2.0
    return server


@pytest.fixture
async def http(fake: FakeWeComServer) -> AsyncIterator[PlatformHttp]:
    async with open_platform_http(0.3, fake.transport()) as client:
        yield client


def _sender(
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    http: PlatformHttp,
) -> WeComSender:
    settings = wecom_settings(database_url, DATA_KEY)
    return build_sender(settings, sessions=sessions, clock=clock, http=http)


@pytest.fixture
def sender(
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    http: PlatformHttp,
) -> WeComSender:
    return _sender(database_url, sessions, clock, http)


async def test_text_reaches_members_with_the_duplicate_check_on(
    sender: WeComSender, fake: FakeWeComServer
) -> None:
    deliveries = await sender.send(HELLO, ["ZhangSan", "LiSi"], batch_key="b1")

    assert [(d.recipient, d.status) for d in deliveries] == [("ZhangSan", "sent"), ("LiSi", "sent")]
    assert deliveries[0].msgid and deliveries[0].msgid == deliveries[1].msgid
    [call] = fake.sends()
    assert call.json["touser"] == "ZhangSan|LiSi"
    assert call.json["enable_duplicate_check"] == 1
    assert call.json["duplicate_check_interval"] == 1800
    assert fake.contents_for("zhangsan") == [HELLO.text]


async def test_a_retried_batch_is_byte_identical_and_suppressed(
    sender: WeComSender, fake: FakeWeComServer
) -> None:
    await sender.send(HELLO, ["ZhangSan", "LiSi"], batch_key="b1")
    again = await sender.send(HELLO, ["ZhangSan", "LiSi"], batch_key="b1")

    first, second = fake.sends()
    assert first.body == second.body
    assert fake.suppressed == 1
    assert fake.delivered_to("ZhangSan") == 1
    assert {d.status for d in again} == {"sent"}


async def test_2500_recipients_go_out_in_three_calls_through_the_outbox(
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    sender: WeComSender,
    fake: FakeWeComServer,
) -> None:
    users = [f"user{n:04d}" for n in range(2500)]
    fake.add_users(*users)
    async with session_scope(sessions) as session:
        for user in users:
            await outbox.enqueue(
                session,
                channel="wecom",
                person_id=None,
                recipient=user,
                payload=HELLO.to_payload(),
                idempotency_key=f"notice:1:{user}",
                now=clock.now(),
            )

    await OutboxSender(sessions=sessions, clock=clock, senders={"wecom": sender}).run_once()

    calls = fake.sends()
    assert sorted(len(c.json["touser"].split("|")) for c in calls) == [500, 1000, 1000]
    assert all(c.json["enable_duplicate_check"] == 1 for c in calls)
    assert len(fake.deliveries) == 2500


async def test_more_than_1000_recipients_in_one_call_is_a_programming_error(
    sender: WeComSender,
) -> None:
    with pytest.raises(ValueError):
        await sender.send(HELLO, [f"u{n}" for n in range(1001)], batch_key="b")


async def test_the_token_is_fetched_once_and_shared_through_the_database(
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    http: PlatformHttp,
    sender: WeComSender,
    fake: FakeWeComServer,
) -> None:
    other_process = _sender(database_url, sessions, clock, http)

    await sender.send(HELLO, ["ZhangSan"], batch_key="a")
    await other_process.send(HELLO, ["LiSi"], batch_key="b")

    assert fake.gettoken_calls == 1
    [call, _] = fake.sends()
    assert call.params["access_token"].startswith("token-")


@pytest.mark.parametrize("code", [42001, 40014])
async def test_a_refused_token_is_refetched_and_the_call_retried_once(
    code: int, sender: WeComSender, fake: FakeWeComServer
) -> None:
    await sender.send(HELLO, ["ZhangSan"], batch_key="a")
    fake.expire_tokens(code)

    [delivery] = await sender.send(HELLO, ["LiSi"], batch_key="b")

    assert delivery.status == "sent"
    assert fake.gettoken_calls == 2
    assert len(fake.sends()) == 3  # a, b refused, b again


async def test_an_expired_token_is_refreshed_before_use(
    sender: WeComSender, fake: FakeWeComServer, clock: FakeClock
) -> None:
    await sender.send(HELLO, ["ZhangSan"], batch_key="a")
    clock.advance(seconds=7200)

    await sender.send(HELLO, ["LiSi"], batch_key="b")

    assert fake.gettoken_calls == 2
    assert len(fake.sends()) == 2  # no refused call: the cache knew the lifetime


@pytest.mark.parametrize("failure", [-1, 45009, 45033, "http500", "hang"])
async def test_busy_limits_server_errors_and_timeouts_are_transient(
    failure: int | str, sender: WeComSender, fake: FakeWeComServer
) -> None:
    fake.fail_next(failure)

    with pytest.raises(TransientError):
        await sender.send(HELLO, ["ZhangSan"], batch_key="a")
    fake.release()
    [after] = await sender.send(HELLO, ["ZhangSan"], batch_key="a")

    assert after.status == "sent"
    assert fake.delivered_to("ZhangSan") == 1


async def test_unknown_members_fail_permanently_and_the_rest_are_sent(
    sender: WeComSender, fake: FakeWeComServer
) -> None:
    deliveries = await sender.send(HELLO, ["zhangsan", "Ghost", "LiSi"], batch_key="a")

    status = {d.recipient: (d.status, d.error) for d in deliveries}
    assert status["zhangsan"] == ("sent", None)
    assert status["LiSi"] == ("sent", None)
    assert status["Ghost"][0] == "failed" and "invaliduser" in (status["Ghost"][1] or "")


async def test_all_recipients_invalid_is_81013_and_fails_each_of_them(
    sender: WeComSender, fake: FakeWeComServer
) -> None:
    deliveries = await sender.send(HELLO, ["Ghost", "Phantom"], batch_key="a")

    assert [d.status for d in deliveries] == ["failed", "failed"]
    assert all("81013" in (d.error or "") for d in deliveries)
    assert fake.deliveries == []


async def test_untrusted_ip_is_a_configuration_error_shown_on_healthz_until_fixed(
    database_url: str,
    clock: FakeClock,
    fake: FakeWeComServer,
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = wecom_settings(database_url, DATA_KEY, health_token="ops-secret")
    async with running_app(settings, clock, fake) as (app, client):
        sender = app.state.runtime.senders["wecom"]
        fake.fail_next(60020)
        with pytest.raises(ConfigurationError):
            await sender.send(HELLO, ["ZhangSan"], batch_key="a")
        public = await client.get("/healthz")
        broken = await client.get("/healthz", headers={"X-Health-Token": "ops-secret"})
        await sender.send(HELLO, ["ZhangSan"], batch_key="a")
        fixed = await client.get("/healthz")

    assert (public.status_code, public.json()) == (503, {"status": "unhealthy"})
    assert broken.status_code == 503
    assert "60020" in broken.json()["channel_wecom"]
    assert (fixed.status_code, fixed.json()) == (200, {"status": "ok"})
    assert any(r.levelname == "ERROR" and "60020" in r.getMessage() for r in caplog.records)


async def test_long_text_is_split_at_character_boundaries_and_sent_in_order(
    sender: WeComSender, fake: FakeWeComServer
) -> None:
    long_text = "关爱" * 400 + "😀" * 150 + "。" * 100  # 2400 + 600 + 300 = 3300 bytes

    [delivery] = await sender.send(
        Outbound(kind="text", text=long_text), ["ZhangSan"], batch_key="a"
    )

    parts = fake.contents_for("ZhangSan")
    assert len(parts) == 2
    assert all(len(part.encode("utf-8")) <= 2048 for part in parts)
    assert "".join(parts) == long_text
    assert fake.truncated == 0
    first_answer = fake.sends()[0].answer
    assert delivery.status == "sent" and delivery.msgid == first_answer["msgid"]


def test_split_text_never_breaks_a_character() -> None:
    text = "a" * 2047 + "关" + "😀" * 600 + "\n" + "b" * 10

    parts = split_text(text)

    assert "".join(parts) == text
    assert all(len(p.encode("utf-8")) <= 2048 for p in parts)
    assert parts[0] == "a" * 2047  # the 3-byte character did not fit: it starts the next part


def test_split_text_prefers_a_line_break() -> None:
    text = "第一段。" * 100 + "\n" + "第二段。" * 100

    first, second = split_text(text)

    assert first.endswith("\n") and second.startswith("第二段")


async def test_markdown_is_sent_as_markdown(sender: WeComSender, fake: FakeWeComServer) -> None:
    await sender.send(
        Outbound(kind="markdown", text="**本周**走访 3 次"), ["ZhangSan"], batch_key="m"
    )

    assert fake.deliveries == [("zhangsan", "markdown", "**本周**走访 3 次")]


async def test_a_file_is_uploaded_first_and_once_per_batch(
    sender: WeComSender, fake: FakeWeComServer
) -> None:
    data = b"PK\x03\x04 ledger bytes"
    message = Outbound(kind="file", title="台账.xlsx", text=base64.b64encode(data).decode())

    await sender.send(message, ["ZhangSan"], batch_key="f1")
    await sender.send(message, ["ZhangSan"], batch_key="f1")  # a retry of the same batch

    assert fake.uploads == [("台账.xlsx", data)]
    upload, send, resend = (c.path for c in fake.calls if c.path != "gettoken")
    assert (upload, send, resend) == ("media/upload", "message/send", "message/send")
    assert fake.suppressed == 1
    [(_, kind, media_id)] = fake.deliveries
    assert kind == "file" and media_id.startswith("media-")


async def test_a_file_that_is_not_base64_fails_without_a_call(
    sender: WeComSender, fake: FakeWeComServer
) -> None:
    message = Outbound(kind="file", title="x.xlsx", text="not base64!")

    [delivery] = await sender.send(message, ["ZhangSan"], batch_key="f")

    assert delivery.status == "failed"
    assert fake.calls == []


async def test_logs_never_show_the_secret_the_token_or_the_message(
    sender: WeComSender, fake: FakeWeComServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")

    await sender.send(HELLO, ["ZhangSan", "Ghost"], batch_key="a")

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "HTTP Request" in logged  # httpx did log the calls...
    assert SECRET not in logged and "token-" not in logged  # ...without the secrets
    assert HELLO.text not in logged and "Ghost" not in logged
