"""Kill the sender mid-broadcast (SIGKILL) and restart it: every recipient gets each message
exactly once, as the fake WeCom server counts deliveries."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from handlers.envelopes import text
from storage import migrate
from storage.db import make_engine, make_sessionmaker, session_scope
from storage.messaging import outbox
from storage.models import OutboxMessage
from tests.conftest import DATA_KEY
from tests.fakes.wecom import FakeWeComServer
from tests.fakes.wecom_callbacks import AGENT_ID, CORP_ID, SECRET, wecom_environment

CAREBOT = str(Path(sys.executable).with_name("carebot"))
USERS = [f"user{i:04d}" for i in range(2400)]
MESSAGES = ["期末考试安排通知", "寒假离校安全提醒", "冬季助学金申请开始"]


def _now() -> datetime:
    return datetime.now(UTC)


async def _queue_broadcast(url: str) -> None:
    engine = make_engine(url, data_key=DATA_KEY)
    async with session_scope(make_sessionmaker(engine)) as session:
        for body in MESSAGES:
            for user in USERS:
                await outbox.enqueue(
                    session,
                    channel="wecom",
                    person_id=None,
                    recipient=user,
                    payload=text(body).to_payload(),
                    idempotency_key=f"broadcast:{body}:{user}",
                    now=_now(),
                )
    await engine.dispose()


async def _statuses(url: str) -> Counter[str]:
    engine = make_engine(url, data_key=DATA_KEY)
    async with make_sessionmaker(engine)() as session:
        rows = (await session.exec(select(OutboxMessage.status))).all()
    await engine.dispose()
    return Counter(rows)


def _sender(url: str, api_base: str) -> subprocess.Popen[bytes]:
    env = wecom_environment(url, api_base, outbox_lease_seconds="2")
    return subprocess.Popen(
        [CAREBOT, "outbox", "send"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _kill_after_sends(process: subprocess.Popen[bytes], fake: FakeWeComServer, n: int) -> None:
    deadline = time.monotonic() + 60
    while len(fake.sends()) < n and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)


@pytest.mark.slow
def test_sigkill_mid_broadcast_then_restart_delivers_each_message_once(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    migrate.upgrade(url)
    asyncio.run(_queue_broadcast(url))
    fake = FakeWeComServer(
        corp_id=CORP_ID,
        secret=SECRET,
        agent_id=AGENT_ID,
        clock=_now,
        users=tuple(USERS),
        send_delay=0.3,
    )
    with fake.serve() as api_base:
        for killed_after in (2, 5):  # two crashes, each after the platform accepted a batch
            _kill_after_sends(_sender(url, api_base), fake, killed_after)
            time.sleep(2.5)  # the dead sender's leases expire
        final = _sender(url, api_base)
        _, err = final.communicate(timeout=120)
        assert final.returncode == 0, err.decode()

    per_recipient = Counter((user, content) for user, _, content in fake.deliveries)
    assert set(per_recipient.values()) == {1}
    assert len(per_recipient) == len(USERS) * len(MESSAGES)
    assert fake.dropped == []
    assert asyncio.run(_statuses(url)) == Counter({"sent": len(USERS) * len(MESSAGES)})
    assert fake.suppressed >= 1  # at least one resend was a byte-identical duplicate
