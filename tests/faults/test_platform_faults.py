"""The platform fails at random during a 5,000-recipient broadcast: the fake WeCom server answers
5xx, times out (before and after delivering), expires tokens and rate-limits on a seeded
schedule, while a dozen counsellors get more than WeCom's 30 messages a minute. The real
outbox sender and WeCom client run to the end through time travel (no sleeping): every message
is sent exactly once or failed with a reason, and WeCom silently drops nothing."""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.base import TransientError
from bot.channels.http import open_platform_http
from bot.channels.wecom.channel import build_sender
from bot.outbox.sender import OutboxSender
from handlers.envelopes import text
from storage.db import session_scope
from storage.messaging import outbox
from storage.models import OutboxMessage, OutboxStatus
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.sender import ScriptedSender
from tests.fakes.wecom_callbacks import fake_server, wecom_settings
from tests.fakes.wecom_faults import FaultSchedule

SEEDS = [int(os.environ["CAREBOT_FAULT_SEED"])] if "CAREBOT_FAULT_SEED" in os.environ else [3, 10]
"""Two schedules that each broke the sender before its fixes (CAREBOT_FAULT_SEED tries one)."""
STUDENTS = [f"stu{i:04d}" for i in range(5000)]
LEFT = set(STUDENTS[::125])  # 40 who left the school: WeCom answers invaliduser
COLLEGES = 6
BUSY = [f"counsellor{i:02d}" for i in range(5 * COLLEGES)]  # 5 counsellors in each college
NOTICES = 45  # each gets their college's 45 notices besides the broadcast: over 30 a minute
BROADCAST = "关于寒假离校学生安全教育的通知：请于12月20日前完成离校登记。"
TIME_LIMIT = timedelta(days=1)  # of fake time: the run ends long before


async def _queue(sessions: async_sessionmaker[AsyncSession], now: datetime) -> None:
    rows = [
        outbox.row_values(
            channel="wecom",
            person_id=None,
            recipient=who,
            payload=text(BROADCAST).to_payload(),
            idempotency_key=f"broadcast:winter:{who}",
            now=now,
        )
        for who in [*STUDENTS, *BUSY]
    ]
    rows += [
        outbox.row_values(
            channel="wecom",
            person_id=None,
            recipient=who,
            payload=text(f"学院{i % COLLEGES}第{n}项待办：请查看谈话记录。").to_payload(),
            idempotency_key=f"notice:{n}:{who}",
            now=now,
        )
        for n in range(NOTICES)
        for i, who in enumerate(BUSY)
    ]
    async with session_scope(sessions) as session:
        await outbox.enqueue_many(session, rows)


async def _next_due(sessions: async_sessionmaker[AsyncSession]) -> datetime | None:
    async with sessions() as session:
        query = select(func.min(OutboxMessage.next_attempt_at)).where(
            col(OutboxMessage.status).in_(outbox.DUE_STATUSES)
        )
        due = (await session.exec(query)).one()
    return due.replace(tzinfo=due.tzinfo or UTC) if due is not None else None


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> Sequence[OutboxMessage]:
    async with sessions() as session:
        return (await session.exec(select(OutboxMessage))).all()


def _reason(error: str | None) -> str:
    return (error or "").split(":")[0]


@pytest.mark.faults
@pytest.mark.parametrize("seed", SEEDS)
async def test_a_broadcast_under_random_platform_faults_ends_sent_once_or_failed_with_a_reason(
    database_url: str, sessions: async_sessionmaker[AsyncSession], clock: FakeClock, seed: int
) -> None:
    fake = fake_server(clock, *[s for s in STUDENTS if s not in LEFT], *BUSY)
    fake.faults = FaultSchedule(seed=seed)
    fake.hang_seconds = 1.0
    began, wall = clock.now(), time.monotonic()
    await _queue(sessions, began)
    rounds = 0
    async with open_platform_http(0.1, fake.transport()) as http:
        wecom = build_sender(
            wecom_settings(database_url, DATA_KEY), sessions=sessions, clock=clock, http=http
        )
        sender = OutboxSender(
            sessions=sessions, clock=clock, senders={"wecom": wecom}, rng=random.Random(seed)
        )
        while (due := await _next_due(sessions)) is not None:
            assert clock.now() - began < TIME_LIMIT, "the broadcast never finished"
            clock.set(max(due, clock.now() + timedelta(seconds=1)))  # time travel, no sleeping
            await sender.drain()
            rounds += 1

    rows = await _rows(sessions)
    delivered = Counter((who, content) for who, _, content in fake.deliveries)
    statuses = Counter(row.status for row in rows)
    failed = Counter(_reason(row.last_error) for row in rows if row.status == OutboxStatus.FAILED)
    retried = sum(1 for row in rows if row.attempts > 1)
    print(
        f"\nplatform faults (seed {seed}): {len(rows)} messages, {statuses['sent']} sent, "
        f"{retried} retried, failed by reason {dict(failed)}; {len(fake.sends())} send calls, "
        f"faults injected {dict(fake.faults.injected)}, {fake.suppressed} resends suppressed "
        f"by the duplicate check, {fake.gettoken_calls} tokens fetched; {rounds} rounds over "
        f"{(clock.now() - began).total_seconds() / 60:.0f} min of fake time in "
        f"{time.monotonic() - wall:.1f} s"
    )
    assert len(rows) == len(STUDENTS) + len(BUSY) * (1 + NOTICES)
    assert set(statuses) <= {OutboxStatus.SENT, OutboxStatus.FAILED}
    assert fake.dropped == []  # WeCom's 30 a minute per member never cut anything off
    assert max(delivered.values()) == 1  # nobody got any message twice
    for row in rows:
        got = delivered[(row.recipient, outbox.payload_of(row)["text"])]
        if row.status == OutboxStatus.SENT:
            assert got == 1, row.idempotency_key
        else:
            assert got == 0 and row.last_error, row.idempotency_key
    assert {row.recipient for row in rows if row.status == OutboxStatus.FAILED} == LEFT
    assert all(fake.delivered_to(who) == 1 + NOTICES for who in BUSY)
    # the schedule really did hit every kind of fault, more than once
    assert set(fake.faults.injected) == {"http500", "hang", "lost", 42001, 45009, 45033, -1}
    assert retried > 100 and fake.suppressed >= 1


@pytest.mark.faults
async def test_a_batch_kept_after_a_busy_platform_comes_due_again_as_one(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    """The jitter is the batch's, not each row's: rows due at different moments would leave
    in pieces, each a new request body that WeCom's duplicate check does not know."""
    busy = ScriptedSender(batch_size=1000, script=[TransientError(45009, "api freq out of limit")])
    async with session_scope(sessions) as session:
        rows = [
            outbox.row_values(
                channel="wecom",
                person_id=None,
                recipient=who,
                payload=text(BROADCAST).to_payload(),
                idempotency_key=f"broadcast:{who}",
                now=clock.now(),
            )
            for who in STUDENTS[:50]
        ]
        await outbox.enqueue_many(session, rows)
    sender = OutboxSender(sessions=sessions, clock=clock, senders={"wecom": busy})

    await sender.run_once()
    assert len({row.next_attempt_at for row in await _rows(sessions)}) == 1
    clock.set(await _next_due(sessions) or clock.now())
    await sender.run_once()

    assert [recipients for _, recipients, _ in busy.calls] == [tuple(STUDENTS[:50])] * 2
