"""SIGKILL the web and the clock processes 20 times at random (seeded) moments while mentors
fill in the visit-log form over WeCom and a broadcast goes out: after the last restart every
confirmed visit log is stored once, every callback that got its 200 was handled, and every
outbox message reached WeCom once (the fake server counts)."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from handlers.envelopes import text
from storage import migrate
from storage.db import make_engine, make_sessionmaker, session_scope
from storage.messaging import outbox
from storage.models import InboundMessage, OutboxMessage, PendingInbound, VisitLog
from tests.bot.inbound.test_crash import CAREBOT, _free_port, _wait_healthy
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.roster import mentors_with_a_student
from tests.fakes.wecom_callbacks import (
    Callback,
    CallbackBuilder,
    fake_server,
    wecom_environment,
)

SEED = 14
CYCLES = 20
MENTORS = [f"kill_mentor{i:02d}" for i in range(12)]
PACE = 3.0  # seconds between a mentor's lines: within WeCom's 30 replies a minute per member
STUDENTS = [f"kill_student{i:03d}" for i in range(300)]
NOTICES = ("期末考试安排通知", "寒假离校安全提醒")  # each to every student, one batch at a time
SUMMARY = "聊了期末复习计划"
# The visit form typed step by step: each answer only makes sense after the one before it.
SCRIPT = ("记录", "1", "谈心", "今天", "跳过", SUMMARY, "2", "无", "跳过", "确认")
BOUND_SECONDS = 90  # the whole run, restarts included (it takes about half)


async def _arrange(url: str) -> None:
    """Each mentor has one student of their own; two notices are queued for 300 students."""
    engine = make_engine(url, data_key=DATA_KEY)
    async with session_scope(make_sessionmaker(engine)) as session:
        await mentors_with_a_student(session, MENTORS, first_code=2024000000)
        rows = [
            outbox.row_values(
                channel="wecom",
                person_id=None,
                recipient=who,
                payload=text(notice).to_payload(),
                idempotency_key=f"broadcast:{n}:{who}",
                now=datetime.now(UTC),
            )
            for n, notice in enumerate(NOTICES)
            for who in STUDENTS
        ]
        await outbox.enqueue_many(session, rows)
    await engine.dispose()


@dataclass
class Driver:
    """Every mentor fills in the form once, a line every few seconds, each line delivered
    until it gets a 200 (as WeCom delivers an unanswered callback again: same MsgId, same
    body)."""

    port: int
    builder: CallbackBuilder
    accepted: list[str] = field(default_factory=list)  # MsgIds that got their 200
    confirmed: Counter[str] = field(default_factory=Counter)  # finished forms per mentor
    retried: int = 0

    def run(self) -> None:
        asyncio.run(self._all())

    async def _all(self) -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=5) as c:
            await asyncio.gather(*(self._mentor(c, account) for account in MENTORS))

    async def _mentor(self, client: httpx.AsyncClient, account: str) -> None:
        await asyncio.sleep(PACE * MENTORS.index(account) / len(MENTORS))  # staggered
        for line in SCRIPT:
            msg_id = self.builder.msg_id()
            await self._deliver(client, self.builder.text(account, line, msg_id=msg_id))
            self.accepted.append(str(msg_id))
            await asyncio.sleep(PACE)
        self.confirmed[account] += 1

    async def _deliver(self, client: httpx.AsyncClient, callback: Callback) -> None:
        while True:
            try:
                response = await client.post(
                    "/wecom/callback", params=callback.params, content=callback.body
                )
                if response.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            self.retried += 1
            await asyncio.sleep(0.1)


@dataclass
class Processes:
    """The web and the clock process on one SQLite file; each may be killed and restarted."""

    url: str
    api_base: str
    port: int
    web: subprocess.Popen[bytes] | None = None
    clock: subprocess.Popen[bytes] | None = None
    logs: Path = Path()
    """Where each process writes its log (a file: an unread pipe could stall a server)."""
    started: int = 0

    def env(self) -> dict[str, str]:
        return wecom_environment(
            self.url,
            self.api_base,
            wecom_passive_seconds="0",  # every reply leaves through the outbox
            outbox_lease_seconds="2",  # a killed sender's claims expire soon
            shutdown_seconds="1",
        )

    def start_web(self) -> None:
        command = [CAREBOT, "serve", "--port", str(self.port)]
        self.web = self._spawn(command, "web")
        _wait_healthy(self.port, self.web)

    def start_clock(self) -> None:
        command = [CAREBOT, "clock"]
        self.clock = self._spawn(command, "clock")

    def _spawn(self, command: list[str], which: str) -> subprocess.Popen[bytes]:
        self.started += 1
        with open(self.logs / f"{self.started:02d}-{which}.log", "wb") as log:
            return subprocess.Popen(command, env=self.env(), stderr=log)

    def errors(self) -> bytes:
        return b"".join(path.read_bytes() for path in sorted(self.logs.glob("*.log")))

    def kill(self, which: str) -> None:
        process = self.web if which == "web" else self.clock
        assert process is not None and process.poll() is None, f"{which} died on its own"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        self.start_web() if which == "web" else self.start_clock()

    def stop(self) -> None:
        for process in (self.web, self.clock):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


@contextmanager
def _running(url: str, api_base: str, logs: Path) -> Iterator[Processes]:
    processes = Processes(url, api_base, _free_port(), logs=logs)
    try:
        processes.start_clock()
        processes.start_web()
        yield processes
    finally:
        processes.stop()


async def _stored(url: str) -> tuple[set[str], int, list[OutboxMessage], list[VisitLog]]:
    engine = make_engine(url, data_key=DATA_KEY, sqlite_immediate=False)
    async with make_sessionmaker(engine)() as session:
        handled = set((await session.exec(select(InboundMessage.dedupe_key))).all())
        held = len((await session.exec(select(PendingInbound.id))).all())
        rows = list((await session.exec(select(OutboxMessage))).all())
        logs = list((await session.exec(select(VisitLog))).all())
    await engine.dispose()
    return handled, held, rows, logs


def _settled(url: str, accepted: set[str], deadline: float) -> None:
    """Until every accepted message is handled and every outbox row is sent."""
    while True:
        handled, held, rows, _ = asyncio.run(_stored(url))
        if accepted <= handled and held == 0 and all(row.sent_at for row in rows):
            time.sleep(1.0)  # time enough for a duplicate send to show
            return
        missing = len(accepted - handled)
        unsent = sum(1 for row in rows if not row.sent_at)
        assert time.monotonic() < deadline, f"{missing} unhandled, {held} held, {unsent} unsent"
        time.sleep(0.2)


@pytest.mark.faults
@pytest.mark.slow
def test_twenty_sigkills_of_web_and_clock_lose_nothing_and_send_nothing_twice(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    migrate.upgrade(url)
    asyncio.run(_arrange(url))
    # a kill can land between WeCom's delivery and its answer
    fake = fake_server(lambda: datetime.now(UTC), *MENTORS, *STUDENTS, send_delay=0.05)
    rng = random.Random(SEED)
    kills: Counter[str] = Counter()
    with fake.serve() as api_base, _running(url, api_base, tmp_path) as processes:
        driver = Driver(processes.port, CallbackBuilder(FakeClock(datetime.now(UTC))))
        driving = threading.Thread(target=driver.run, daemon=True)
        driving.start()
        for _ in range(CYCLES):
            time.sleep(rng.uniform(0.1, 1.0))
            which = rng.choice(("web", "web", "clock"))
            processes.kill(which)
            kills[which] += 1
        driving.join(timeout=60)
        assert not driving.is_alive(), "the driver never got its last lines through"
        _settled(url, set(driver.accepted), started + BOUND_SECONDS)
        handled, held, rows, logs = asyncio.run(_stored(url))
    took = time.monotonic() - started

    sent = Counter((who, str(content)) for who, _, content in fake.deliveries)
    print(
        f"\nsigkill cycles: {sum(kills.values())} survived ({dict(kills)}); "
        f"{len(driver.accepted)} callbacks accepted ({driver.retried} deliveries repeated), "
        f"{sum(driver.confirmed.values())} visit logs confirmed, {len(rows)} outbox rows, "
        f"{len(fake.deliveries)} deliveries, {fake.suppressed} resends suppressed; {took:.1f} s"
    )
    assert set(driver.accepted) <= handled and held == 0
    per_mentor = Counter(log.author_id for log in logs)
    assert sorted(per_mentor.values()) == sorted(driver.confirmed.values())  # each log once
    assert {log.summary for log in logs} == {SUMMARY}  # the form's lines ran in their order
    assert max(sent.values()) == 1  # nothing reached anybody twice
    assert all(sent[(who, notice)] == 1 for who in STUDENTS for notice in NOTICES)
    replies = [row for row in rows if row.idempotency_key.startswith("reply:")]
    active = [row for row in replies if row.platform_msgid != outbox.IN_RESPONSE]
    assert len(replies) >= len(driver.accepted)  # every accepted message was answered
    assert sum(fake.delivered_to(m) for m in MENTORS) == len(active)  # each reply sent once
    assert fake.dropped == []
    assert b"Traceback" not in processes.errors(), processes.errors()[-3000:]
    assert took < BOUND_SECONDS
