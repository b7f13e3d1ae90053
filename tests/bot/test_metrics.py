"""/metrics after real WeCom callbacks (handled, forged, over the limit) and a failed send,
scraped in-process; refused to a non-loopback client without the token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.metrics import Metrics, error_code
from storage.messaging import outbox
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff
from tests.fakes.wecom_callbacks import CallbackBuilder, fake_server, running_app, wecom_settings

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
async def wecom(
    database_url: str, clock: FakeClock, engine: AsyncEngine
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = wecom_settings(
        database_url, DATA_KEY, rate_limit_per_minute=1, metrics_token="scrape-secret"
    )
    async with running_app(settings, clock, fake_server(clock, "ZhangSan")) as pair:
        yield pair


async def _scrape(app: FastAPI, *, host: str = "127.0.0.1", **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=(host, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://carebot.test") as client:
        return await client.get("/metrics", headers=headers)


def _samples(body: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def _at(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_the_counts_after_callbacks_a_forgery_and_a_failed_send(
    wecom: tuple[FastAPI, httpx.AsyncClient], clock: FakeClock, session: AsyncSession
) -> None:
    app, client = wecom
    await make_staff(session, name="张老师", wecom="ZhangSan")
    await outbox.enqueue(
        session,
        channel="wecom",
        person_id=None,
        recipient="Nobody",
        payload={"kind": "text", "text": "通知"},
        idempotency_key="test:nobody",
        now=clock.now(),
    )
    await session.commit()
    callbacks = CallbackBuilder(clock)
    for _ in range(3):  # answered, then the notice, then silence (limit 1)
        callback = callbacks.text("ZhangSan", "帮助")
        await client.post("/wecom/callback", params=callback.params, content=callback.body)
    forged = callbacks.text("ZhangSan", "帮助")
    refused = await client.post(
        "/wecom/callback", params={**forged.params, "msg_signature": "0" * 40}, content=forged.body
    )
    await app.state.outbox.drain()

    samples = _samples((await _scrape(app)).text)

    assert refused.status_code == 403
    callbacks_total = "carebot_callbacks_total"
    assert _at(samples, callbacks_total, channel="wecom", outcome="handled") == 1
    assert _at(samples, callbacks_total, channel="wecom", outcome="rate_limited") == 2
    assert _at(samples, callbacks_total, channel="wecom", outcome="forged") == 1
    assert _at(samples, "carebot_handling_seconds_count", channel="wecom") == 3
    assert _at(samples, "carebot_send_errors_total", platform="wecom", code="81013") == 1
    assert _at(samples, "carebot_outbox_messages", status="failed") == 1
    assert _at(samples, "carebot_outbox_messages", status="sent") == 2  # passive replies
    assert _at(samples, "carebot_open_alerts") == 0


async def test_only_loopback_or_the_bearer_token_may_scrape(
    wecom: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, _ = wecom
    outside = "203.0.113.9"

    anonymous = await _scrape(app, host=outside)
    guessed = await _scrape(app, host=outside, authorization="Bearer guess")
    trusted = await _scrape(app, host=outside, authorization="Bearer scrape-secret")

    assert anonymous.status_code == 403 and guessed.status_code == 403
    assert trusted.status_code == 200 and "carebot_callbacks_total" in trusted.text


async def test_without_a_token_a_remote_client_is_refused(
    wecom: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, _ = wecom
    app.state.settings.metrics_token = None
    assert (await _scrape(app, host="198.51.100.7", authorization="Bearer x")).status_code == 403
    assert (await _scrape(app, host="::1")).status_code == 200


def test_error_codes_stay_few() -> None:
    assert error_code("81013: user & party & tag all invalid") == "81013"
    assert error_code("-1: system busy") == "-1"
    assert error_code("invalidStaffIdList") == "invalidStaffIdList"
    assert error_code("invaliduser: no such member") == "invaliduser"
    assert error_code("no staff id and no open 1:1 session to answer in") == "other"
    assert error_code(None) == "other"


def test_two_apps_keep_their_own_counts() -> None:
    one, two = Metrics(), Metrics()
    one.dispatched("wecom", "handled", 0.01)
    assert b'outcome="handled"' in one.exposition()
    assert b'outcome="handled"' not in two.exposition()
