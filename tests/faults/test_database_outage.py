"""The database goes away under a running `carebot serve`: on a PostgreSQL cluster of its own
(a temporary directory, a spare port; never the machine's server on 5432) that the test stops
with `pg_ctl stop -m fast` mid-run, the service answers 503 at once to /healthz and to WeCom's
callbacks; once the cluster is back, WeCom's deliveries again (same MsgId) are handled once
each, and nothing said before the outage is lost or answered twice."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import select

from storage.db import make_engine, make_sessionmaker, session_scope
from storage.messaging import outbox
from storage.models import InboundMessage, OutboxMessage, PendingInbound
from tests.bot.inbound.test_crash import CAREBOT, _free_port, _wait_healthy
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff
from tests.fakes.wecom_callbacks import (
    Callback,
    CallbackBuilder,
    fake_server,
    wecom_environment,
)

MENTORS = [f"outage_mentor{i:02d}" for i in range(10)]
BOUND_SECONDS = 40
OUTAGE_PROBES = 40  # /healthz asked 40 times, 50 ms apart, while the database is down
WECOM_WINDOW = 5.0  # WeCom gives up on a callback not answered in 5 s, and delivers it again


def _binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found and shutil.which("initdb") is None:
        pytest.skip("no PostgreSQL server binaries (initdb) on this machine")
    return Path(found[-1]).parent if found else Path(str(shutil.which("initdb"))).parent


@dataclass
class Cluster:
    """A throwaway PostgreSQL cluster; as root its commands run as the 'postgres' user
    (initdb refuses to run as root)."""

    bin: Path
    data: Path
    port: int

    def run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.data / "server.log")
        self.run("pg_ctl", "-D", str(self.data / "db"), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data / "db"), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/carebot"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    binaries = _binaries()
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: initdb would refuse to run")
    data = Path(tempfile.mkdtemp(prefix="carebot-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, user="postgres", group="postgres")
    made = Cluster(binaries, data, _free_port())
    try:
        made.run("initdb", "-D", str(data / "db"), "-A", "trust", "-U", "postgres", "--no-sync")
        made.start()
        made.run("createdb", "-h", "127.0.0.1", "-p", str(made.port), "-U", "postgres", "carebot")
        yield made
    finally:
        with suppress(subprocess.CalledProcessError):  # already stopped
            made.stop()
        shutil.rmtree(data, ignore_errors=True)


async def _arrange(url: str) -> None:
    engine = make_engine(url, data_key=DATA_KEY)
    async with session_scope(make_sessionmaker(engine)) as session:
        for n, account in enumerate(MENTORS):
            await make_staff(session, name=f"老师{n}", code=f"T{n:04d}", wecom=account)
    await engine.dispose()


async def _stored(url: str) -> tuple[list[str], int, list[OutboxMessage]]:
    engine = make_engine(url, data_key=DATA_KEY)
    async with make_sessionmaker(engine)() as session:
        await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        handled = list((await session.exec(select(InboundMessage.dedupe_key))).all())
        held = len((await session.exec(select(PendingInbound.id))).all())
        rows = list((await session.exec(select(OutboxMessage))).all())
    await engine.dispose()
    return handled, held, rows


def _settled(url: str, expected: set[str]) -> bool:
    """Every expected message handled, and every reply row sent."""
    handled, held, rows = asyncio.run(_stored(url))
    return expected <= set(handled) and held == 0 and all(row.sent_at for row in rows)


@contextmanager
def _serving(url: str, api_base: str, log: Path) -> Iterator[int]:
    port = _free_port()
    env = wecom_environment(url, api_base, wecom_passive_seconds="0", outbox_lease_seconds="2")
    upgrade = subprocess.run(
        [CAREBOT, "db", "upgrade"], env=env, capture_output=True, timeout=60, check=False
    )
    assert upgrade.returncode == 0, upgrade.stderr.decode()
    asyncio.run(_arrange(url))
    command = [CAREBOT, "serve", "--port", str(port)]
    # Its log goes to a file: an outage logs a lot, and an unread pipe would stall the server.
    with open(log, "wb") as stderr:
        process = subprocess.Popen(command, env=env, stderr=stderr)
        try:
            _wait_healthy(port, process)
            yield port
        finally:
            process.terminate()
            process.communicate(timeout=30)


def _post(port: int, callbacks: list[Callback]) -> list[tuple[int, float]]:
    """(status, seconds) per callback, delivered one after another as WeCom does."""
    answers = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=2 * WECOM_WINDOW) as client:
        for callback in callbacks:
            began = time.monotonic()
            response = client.post("/wecom/callback", params=callback.params, content=callback.body)
            answers.append((response.status_code, time.monotonic() - began))
    return answers


def _healthz(port: int, *, pause: float = 0.05) -> tuple[int, float]:
    time.sleep(pause)
    began = time.monotonic()
    response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2 * WECOM_WINDOW)
    return response.status_code, time.monotonic() - began


def _wait_until(check: object, deadline: float, what: str) -> None:
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.mark.faults
def test_the_database_going_away_answers_503_then_wecoms_retries_are_handled_once(
    cluster: Cluster,
) -> None:
    started = time.monotonic()
    fake = fake_server(lambda: datetime.now(UTC), *MENTORS)
    builder = CallbackBuilder(FakeClock(datetime.now(UTC)))
    before_ids = [builder.msg_id() for _ in MENTORS]
    during_ids = [builder.msg_id() for _ in MENTORS]
    before = [builder.text(m, "帮助", msg_id=i) for m, i in zip(MENTORS, before_ids, strict=True)]
    # another question in the outage: the same reply again would be suppressed by WeCom's
    # duplicate check (an identical body within 30 minutes), which is not what this tests
    during = [builder.text(m, "你好", msg_id=i) for m, i in zip(MENTORS, during_ids, strict=True)]
    with (
        fake.serve() as api_base,
        _serving(cluster.url, api_base, cluster.data / "serve.log") as port,
    ):
        assert [status for status, _ in _post(port, before)] == [200] * len(MENTORS)
        _wait_until(lambda: len(fake.deliveries) >= len(MENTORS), started + 20, "no replies")

        went = time.monotonic()
        cluster.stop()
        health = _healthz(port)
        refused = _post(port, during)
        probes = [_healthz(port) for _ in range(OUTAGE_PROBES)]  # the outage lasts a while
        health_again = _healthz(port)
        cluster.start()
        back = time.monotonic()
        _wait_until(lambda: _healthz(port)[0] == 200, back + 15, "never healthy again")
        recovered = time.monotonic() - back

        # WeCom delivers again what was not answered 200, and may repeat what was
        replayed = _post(port, during + before)
        expected = {str(msg_id) for msg_id in before_ids + during_ids}
        _wait_until(lambda: _settled(cluster.url, expected), started + BOUND_SECONDS, "unsent")
        time.sleep(0.5)  # time enough for a duplicate send to show
        handled, held, rows = asyncio.run(_stored(cluster.url))
    took = time.monotonic() - started

    slowest = max(seconds for _, seconds in [health, *refused, *probes, health_again])
    print(
        f"\ndatabase outage: {back - went:.1f} s down; /healthz {health[0]} in {health[1]:.2f} s, "
        f"{len(refused)} callbacks answered {sorted({s for s, _ in refused})}, "
        f"{len(probes)} more /healthz {sorted({s for s, _ in probes})} (slowest "
        f"{slowest:.2f} s); healthy {recovered:.1f} s after the restart; {len(replayed)} "
        f"redeliveries -> {len(handled)} handled, {len(fake.deliveries)} replies sent; {took:.1f} s"
    )
    assert {status for status, _ in [health, *probes, health_again]} == {503}
    assert [status for status, _ in refused] == [503] * len(MENTORS)
    assert slowest < WECOM_WINDOW  # answered, not hung until WeCom gives up
    assert [status for status, _ in replayed] == [200] * 2 * len(MENTORS)
    assert sorted(handled) == sorted(expected) and held == 0  # each once, none lost
    replies = Counter(row.idempotency_key.split(":")[2] for row in rows)
    assert set(replies) == expected  # every message answered
    active = Counter(row.recipient for row in rows if row.platform_msgid != outbox.IN_RESPONSE)
    assert {m: fake.delivered_to(m) for m in MENTORS} == {m: active[m] for m in MENTORS}
    assert took < BOUND_SECONDS
