"""Accepted means durable, through the real `carebot serve`: every WeCom callback that got its
200 survives SIGKILL and is answered exactly once after the restart; SIGTERM mid-burst exits
within the shutdown bound and loses nothing either."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from storage import migrate
from storage.db import make_engine, make_sessionmaker, session_scope
from storage.models import InboundMessage, OutboxMessage, PendingInbound
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff
from tests.fakes.wecom import FakeWeComServer
from tests.fakes.wecom_callbacks import (
    AGENT_ID,
    CORP_ID,
    SECRET,
    Callback,
    CallbackBuilder,
    wecom_environment,
)

CAREBOT = str(Path(sys.executable).with_name("carebot"))
MENTORS = [f"mentor{i:03d}" for i in range(40)]
SHUTDOWN_SECONDS = 3


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _arrange(url: str) -> None:
    engine = make_engine(url, data_key=DATA_KEY)
    async with session_scope(make_sessionmaker(engine)) as session:
        for n, account in enumerate(MENTORS):
            await make_staff(session, name=f"老师{n}", code=f"T{n:04d}", wecom=account)
    await engine.dispose()


async def _state(url: str) -> tuple[set[str], set[str], Counter[str]]:
    """Handled message ids, stored-but-unhandled ids, reply rows per message id."""
    engine = make_engine(url, data_key=DATA_KEY, sqlite_immediate=False)
    async with make_sessionmaker(engine)() as session:
        handled = set((await session.exec(select(InboundMessage.dedupe_key))).all())
        held = set((await session.exec(select(PendingInbound.dedupe_key))).all())
        keys = (await session.exec(select(OutboxMessage.idempotency_key))).all()
    await engine.dispose()
    replies = Counter(key.split(":")[2] for key in keys if key.startswith("reply:wecom:"))
    return handled, held, replies


@contextmanager
def _serving(url: str, api_base: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = wecom_environment(
        url,
        api_base,
        wecom_passive_seconds="0",  # most replies leave through the outbox
        shutdown_seconds=str(SHUTDOWN_SECONDS),
        outbox_lease_seconds="2",  # a killed sender's claims expire soon
    )
    command = [CAREBOT, "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    try:
        _wait_healthy(port, process)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def _wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1].decode()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError("carebot serve did not start")


async def _burst(port: int, callbacks: list[Callback]) -> list[tuple[int, bool]]:
    """(status, whether the reply rode passively in the response) per callback."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:

        async def post(callback: Callback) -> tuple[int, bool]:
            try:
                response = await client.post(
                    "/wecom/callback", params=callback.params, content=callback.body
                )
            except httpx.HTTPError:  # the server went away first: WeCom would deliver again
                return 0, False
            return response.status_code, bool(response.content)

        return list(await asyncio.gather(*(post(c) for c in callbacks)))


def _callbacks() -> tuple[list[Callback], list[str]]:
    builder = CallbackBuilder(FakeClock(datetime.now(UTC)))
    ids = [str(builder.msg_id()) for _ in MENTORS]
    made = [builder.text(m, "帮助", msg_id=int(i)) for m, i in zip(MENTORS, ids, strict=True)]
    return made, ids


def _wait_answered(fake: FakeWeComServer, mentors: list[str], seconds: float = 60) -> None:
    """Until each of `mentors` had a reply through the API, then a moment for duplicates."""
    deadline = time.monotonic() + seconds
    while any(fake.delivered_to(m) == 0 for m in mentors):
        missing = [m for m in mentors if fake.delivered_to(m) == 0]
        assert time.monotonic() < deadline, f"never answered: {missing}"
        time.sleep(0.05)
    time.sleep(0.5)


def _restart_and_check(
    url: str,
    api_base: str,
    port: int,
    fake: FakeWeComServer,
    ids: list[str],
    answers: list[tuple[int, bool]],
) -> None:
    """Every message that got its 200 was durable before it; after a restart each one is
    answered exactly once: in its response, or through the API, never both, never twice."""
    pairs = list(zip(MENTORS, ids, answers, strict=True))
    accepted = [i for _, i, (status, _) in pairs if status == 200]
    later = [m for m, _, (status, passive) in pairs if status == 200 and not passive]
    handled, held, _ = asyncio.run(_state(url))
    assert set(accepted) <= handled | held
    with _serving(url, api_base, port):
        _wait_answered(fake, later)
    handled, held, replies = asyncio.run(_state(url))
    assert set(accepted) <= handled and held == set()
    assert all(replies[i] == 1 for i in accepted)
    assert [fake.delivered_to(m) for m in later] == [1] * len(later)
    assert all(fake.delivered_to(m) == 0 for m in MENTORS if m not in later)


@pytest.fixture
def world(tmp_path: Path) -> tuple[str, FakeWeComServer]:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    migrate.upgrade(url)
    asyncio.run(_arrange(url))
    fake = FakeWeComServer(
        corp_id=CORP_ID, secret=SECRET, agent_id=AGENT_ID, clock=lambda: datetime.now(UTC)
    )
    fake.add_users(*MENTORS)
    return url, fake


@pytest.mark.slow
def test_sigkill_after_200_loses_nothing_and_the_restart_answers_each_once(
    world: tuple[str, FakeWeComServer],
) -> None:
    url, fake = world
    callbacks, ids = _callbacks()
    port = _free_port()
    with fake.serve() as api_base:
        with _serving(url, api_base, port) as process:
            answers = asyncio.run(_burst(port, callbacks))
            process.send_signal(signal.SIGKILL)
        assert [status for status, _ in answers] == [200] * len(MENTORS)
        _restart_and_check(url, api_base, port, fake, ids, answers)


@pytest.mark.slow
def test_sigterm_mid_burst_exits_within_the_bound_and_loses_nothing(
    world: tuple[str, FakeWeComServer],
) -> None:
    url, fake = world
    callbacks, ids = _callbacks()
    port = _free_port()
    with fake.serve() as api_base:
        with _serving(url, api_base, port) as process:

            async def burst_then_term() -> list[tuple[int, bool]]:
                posting = asyncio.create_task(_burst(port, callbacks))
                await asyncio.sleep(0.05)
                process.send_signal(signal.SIGTERM)
                return await posting

            answers = asyncio.run(burst_then_term())
            started = time.monotonic()
            _, err = process.communicate(timeout=4 * SHUTDOWN_SECONDS + 10)
            took = time.monotonic() - started
            # uvicorn re-raises the signal once it has shut down gracefully
            assert process.returncode == -signal.SIGTERM, err.decode()
            assert "Traceback" not in err.decode()
        _restart_and_check(url, api_base, port, fake, ids, answers)

    assert took < 2 * SHUTDOWN_SECONDS + 5
