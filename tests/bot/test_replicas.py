"""Two `carebot serve` replicas on one PostgreSQL, every WeCom callback delivered to both (as a
load balancer and WeCom's retries can): each message is handled once, each reply is sent once,
and a person's replies arrive in the order of their messages (docs/deploy.md)."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import select

from storage import migrate
from storage.db import make_engine, make_sessionmaker, session_scope
from storage.models import InboundMessage, OutboxMessage, PendingInbound, VisitLog
from tests.bot.inbound.test_crash import CAREBOT, _free_port, _wait_healthy
from tests.conftest import DATA_KEY, PG_URL
from tests.fakes.clock import FakeClock
from tests.fakes.roster import mentors_with_a_student
from tests.fakes.wecom import FakeWeComServer
from tests.fakes.wecom_callbacks import (
    Callback,
    CallbackBuilder,
    fake_server,
    wecom_environment,
)

SCRATCH = "carebot_replicas_test"
MENTORS = [f"replica_mentor{i:02d}" for i in range(8)]
SUMMARY = "聊了期末复习计划"
# The visit form typed step by step: each answer only makes sense after the one before it.
SCRIPT = ("记录", "1", "谈心", "今天", "跳过", SUMMARY, "2", "无", "跳过", "确认")
BOUND_SECONDS = 40


@pytest.fixture
def fresh_url() -> Iterator[str]:
    """A scratch database on the test PostgreSQL server, migrated; dropped afterwards."""
    if not PG_URL or make_url(PG_URL).get_backend_name() != "postgresql":
        pytest.skip("replicas share one PostgreSQL (set CAREBOT_TEST_DATABASE_URL)")
    server = make_url(PG_URL).render_as_string(hide_password=False)
    scratch = make_url(PG_URL).set(database=SCRATCH).render_as_string(hide_password=False)
    asyncio.run(_database(server, "DROP DATABASE IF EXISTS {} WITH (FORCE)", "CREATE DATABASE {}"))
    try:
        migrate.upgrade(scratch)
        asyncio.run(_arrange(scratch))
        yield scratch
    finally:
        asyncio.run(_database(server, "DROP DATABASE IF EXISTS {} WITH (FORCE)"))


async def _database(url: str, *statements: str) -> None:
    engine = make_engine(url, data_key=DATA_KEY)
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        for statement in statements:
            await autocommit.execute(text(statement.format(f'"{SCRATCH}"')))
    await engine.dispose()


async def _arrange(url: str) -> None:
    """Each mentor has one student of their own."""
    engine = make_engine(url, data_key=DATA_KEY)
    async with session_scope(make_sessionmaker(engine)) as session:
        await mentors_with_a_student(session, MENTORS, first_code=2023000000)
    await engine.dispose()


@contextmanager
def _replicas(url: str, api_base: str, errors: list[bytes], n: int = 2) -> Iterator[list[int]]:
    """`n` web processes (no clock), started together; their ports. Replies leave through
    their outbox senders; what they wrote to stderr lands in `errors` when they stop."""
    ports = [_free_port() for _ in range(n)]
    env = wecom_environment(url, api_base, wecom_passive_seconds="0")
    processes = [
        subprocess.Popen([CAREBOT, "serve", "--port", str(port)], env=env, stderr=subprocess.PIPE)
        for port in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            _wait_healthy(port, process)
        yield ports
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        errors.extend(process.communicate(timeout=30)[1] for process in processes)


async def _converse(ports: list[int], builder: CallbackBuilder) -> dict[str, list[str]]:
    """Every mentor at once; each line of their script goes to every replica at the same
    time, the next line once all of them answered 200. The message ids, per mentor."""
    clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}", timeout=20) for p in ports]

    async def deliver(callback: Callback) -> None:
        posts = [
            c.post("/wecom/callback", params=callback.params, content=callback.body)
            for c in clients
        ]
        for response in await asyncio.gather(*posts):
            assert response.status_code == 200 and response.content == b""

    async def mentor(account: str) -> list[str]:
        ids = []
        for line in SCRIPT:
            msg_id = builder.msg_id()
            await deliver(builder.text(account, line, msg_id=msg_id))
            ids.append(str(msg_id))
        return ids

    try:
        found = await asyncio.gather(*(mentor(account) for account in MENTORS))
    finally:
        for client in clients:
            await client.aclose()
    return dict(zip(MENTORS, found, strict=True))


async def _stored(url: str) -> tuple[list[str], int, list[OutboxMessage], list[VisitLog]]:
    engine = make_engine(url, data_key=DATA_KEY)
    async with make_sessionmaker(engine)() as session:
        handled = list((await session.exec(select(InboundMessage.dedupe_key))).all())
        held = len((await session.exec(select(PendingInbound.id))).all())
        rows = list((await session.exec(select(OutboxMessage))).all())
        logs = list((await session.exec(select(VisitLog))).all())
    await engine.dispose()
    return handled, held, rows, logs


def _settled(
    url: str, fake: FakeWeComServer, expected: int, deadline: float
) -> list[OutboxMessage]:
    """Wait until every message is handled and every reply row is sent; the rows."""
    while True:
        handled, held, rows, _ = asyncio.run(_stored(url))
        if len(handled) >= expected and held == 0 and rows and all(r.sent_at for r in rows):
            time.sleep(0.5)  # time enough for a duplicate send to show
            return rows
        assert time.monotonic() < deadline, f"not settled: {len(handled)} handled, {held} held"
        time.sleep(0.1)


def _order_of(rows: list[OutboxMessage], ids: list[str]) -> list[OutboxMessage]:
    """A mentor's reply rows in the order of the messages they answer."""
    position = {msg_id: n for n, msg_id in enumerate(ids)}
    mine = [row for row in rows if row.idempotency_key.split(":")[2] in position]
    return sorted(
        mine, key=lambda r: (position[r.idempotency_key.split(":")[2]], r.idempotency_key)
    )


def _overtaken(mine: list[OutboxMessage]) -> int:
    """Replies that reached the platform before an earlier one (the fake numbers its
    messages as they arrive): the claim keeps a person's rows in line, so none may."""
    serials = [int((row.platform_msgid or "msg-0").removeprefix("msg-")) for row in mine]
    return sum(1 for before, after in itertools.pairwise(serials) if after < before)


@pytest.mark.slow
def test_two_replicas_given_the_same_deliveries_handle_and_send_each_once_in_order(
    fresh_url: str,
) -> None:
    started = time.monotonic()
    fake = fake_server(lambda: datetime.now(UTC), *MENTORS)
    builder = CallbackBuilder(FakeClock(datetime.now(UTC)))
    errors: list[bytes] = []
    with fake.serve() as api_base, _replicas(fresh_url, api_base, errors) as ports:
        booted = time.monotonic() - started
        ids = asyncio.run(_converse(ports, builder))
        conversed = time.monotonic() - started
        expected = len(MENTORS) * len(SCRIPT)
        rows = _settled(fresh_url, fake, expected, started + BOUND_SECONDS)
        handled, _, _, logs = asyncio.run(_stored(fresh_url))
    took = time.monotonic() - started

    assert sorted(handled) == sorted(i for mentor in ids.values() for i in mentor)
    replies = Counter(row.idempotency_key.split(":")[2] for row in rows)
    assert set(replies) == set(handled)  # every message answered, by one replica
    assert [log.summary for log in logs] == [SUMMARY] * len(MENTORS)  # the form ran in order
    overtaken = 0
    for account in MENTORS:
        mine = _order_of(rows, ids[account])
        assert fake.delivered_to(account) == len(mine), account  # each reply sent once
        row_ids = [row.id or 0 for row in mine]
        assert row_ids == sorted(row_ids), account  # answered in the order of the messages
        overtaken += _overtaken(mine)
    assert overtaken == 0  # sent in the order of the messages, whichever replica sent them
    assert fake.dropped == [] and b"Traceback" not in b"".join(errors), errors
    assert took < BOUND_SECONDS
    print(
        f"\nreplicas: 2 web processes, {len(MENTORS)} people x {len(SCRIPT)} messages, "
        f"{2 * expected} deliveries ({expected} distinct) -> {len(handled)} handled, "
        f"{len(rows)} replies, {len(fake.deliveries)} sent ({overtaken} overtook an earlier "
        f"one), {fake.suppressed} duplicate sends suppressed by the platform; "
        f"start {booted:.1f} s, conversed {conversed:.1f} s, total {took:.1f} s"
    )
