"""The outbox sender: batching, retries with backoff, per-member caps, leases, give-up."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.base import ConfigurationError, Delivery, TransientError
from bot.outbox.sender import OutboxSender, RetryPolicy
from handlers.envelopes import Outbound, text
from storage.db import session_scope
from storage.messaging import outbox
from storage.models import OutboxMessage
from tests.fakes.clock import FakeClock
from tests.fakes.sender import ScriptedSender


async def _queue(
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    recipients: Sequence[str],
    message: Outbound,
    *,
    key: str = "b",
) -> None:
    async with session_scope(sessions) as session:
        for index, recipient in enumerate(recipients):
            await outbox.enqueue(
                session,
                channel="wecom",
                person_id=None,
                recipient=recipient,
                payload=message.to_payload(),
                idempotency_key=f"{key}:{index}:{recipient}",
                now=clock.now(),
            )


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessions() as session:
        query = select(OutboxMessage).order_by(col(OutboxMessage.id))
        return list((await session.exec(query)).all())


def _sender(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock, fake: ScriptedSender
) -> OutboxSender:
    return OutboxSender(
        sessions=sessions, clock=clock, senders={"wecom": fake}, rng=random.Random(7)
    )


async def test_identical_content_goes_in_batches_of_the_channel_size(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = ScriptedSender(batch_size=3)
    await _queue(sessions, clock, [f"u{i}" for i in range(7)], text("通知"))
    await _queue(sessions, clock, ["u0"], text("另一条"), key="c")

    sent = await _sender(sessions, clock, fake).drain()

    assert sent == 8
    assert sorted(len(recipients) for _, recipients, _ in fake.calls) == [1, 1, 3, 3]
    assert all(row.status == "sent" and row.platform_msgid for row in await _rows(sessions))


async def test_transient_error_retries_the_identical_batch_after_backoff(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = ScriptedSender(script=[TransientError(-1, "system busy")])
    await _queue(sessions, clock, ["a", "b", "c"], text("通知"))
    sender = _sender(sessions, clock, fake)

    await sender.run_once()
    waiting = await _rows(sessions)
    assert await sender.run_once() == 0  # not due yet
    clock.advance(seconds=3)
    await sender.run_once()

    assert {row.status for row in waiting} == {"retrying"}
    assert all(1.5 <= (r.next_attempt_at - clock.now()).total_seconds() + 3 <= 2.5 for r in waiting)
    assert fake.calls[0][1:] == fake.calls[1][1:]  # same recipients, same batch key
    assert {row.status for row in await _rows(sessions)} == {"sent"}


async def test_per_recipient_outcomes_are_recorded(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    def mixed(message: Outbound, recipients: Sequence[str]) -> list[Delivery]:
        return [
            Delivery("a", "sent", msgid="m1"),
            Delivery("b", "failed", error="invaliduser"),
            Delivery("c", "retry", error="flow controlled", retry_after=30),
        ]

    fake = ScriptedSender(script=[mixed])
    await _queue(sessions, clock, ["a", "b", "c"], text("通知"))

    await _sender(sessions, clock, fake).run_once()

    a, b, c = await _rows(sessions)
    assert (a.status, a.platform_msgid) == ("sent", "m1")
    assert (b.status, b.last_error) == ("failed", "invaliduser")
    assert c.status == "retrying" and c.batch_id is None
    assert c.next_attempt_at == clock.now() + timedelta(seconds=30)


async def test_members_never_get_more_than_the_cap_per_minute(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = ScriptedSender(batch_size=1000, per_member_per_minute=30)
    for index in range(45):
        await _queue(sessions, clock, ["busy"], text(f"第{index}条"), key=f"k{index}")
    sender = _sender(sessions, clock, fake)

    await sender.drain()
    first_minute = len(fake.calls)
    clock.advance(seconds=59)
    await sender.drain()
    before_window = len(fake.calls)
    clock.advance(seconds=2)
    await sender.drain()

    assert (first_minute, before_window, len(fake.calls)) == (30, 30, 45)
    assert [call[0] for call in fake.calls] == [f"第{i}条" for i in range(45)]


async def test_a_dead_senders_lease_expires_and_the_same_batch_is_resent(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    await _queue(sessions, clock, ["a", "b"], text("通知"))
    async with session_scope(sessions) as session:
        claimed = await outbox.claim_due(
            session, channels=["wecom"], now=clock.now(), lease=timedelta(minutes=2), limit=10
        )
        await outbox.assign_batches(session, {row.id: "dead-batch" for row in claimed})
    fake = ScriptedSender()
    sender = _sender(sessions, clock, fake)

    assert await sender.run_once() == 0  # lease still held by the dead sender
    clock.advance(minutes=3)
    await sender.run_once()

    assert fake.calls == [("通知", ("a", "b"), "dead-batch")]


async def test_configuration_error_waits_long_and_gives_up_after_max_attempts(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = ScriptedSender(script=[ConfigurationError(60020, "ip not allowed")] * 3)
    await _queue(sessions, clock, ["a"], text("通知"))
    sender = OutboxSender(
        sessions=sessions,
        clock=clock,
        senders={"wecom": fake},
        policy=RetryPolicy(max_attempts=3, config_delay=600),
    )

    for _ in range(3):
        await sender.run_once()
        clock.advance(minutes=11)

    [row] = await _rows(sessions)
    assert row.status == "failed" and row.attempts == 3
    assert row.last_error is not None and row.last_error.startswith("gave up after 3 attempts")


async def test_concurrent_senders_never_send_a_row_twice(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = ScriptedSender(batch_size=5, delay=0.05)
    await _queue(sessions, clock, [f"u{i}" for i in range(40)], text("通知"))
    first, second = _sender(sessions, clock, fake), _sender(sessions, clock, fake)

    await asyncio.gather(first.drain(), second.drain())

    assert sorted(fake.delivered()) == sorted(f"u{i}" for i in range(40))


@pytest.mark.parametrize("attempts", [1, 4, 30])
def test_backoff_grows_and_is_capped(attempts: int) -> None:
    delay = RetryPolicy().delay(attempts, random.Random(1)).total_seconds()

    expected = min(1800.0, 2.0 * 2 ** (attempts - 1))
    assert 0.8 * expected <= delay <= 1.2 * expected
