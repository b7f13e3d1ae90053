"""A sending round costs a few statements whatever the number of rows, and only the holder of
a row's lease records its result."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.outbox.sender import OutboxSender
from handlers.envelopes import Outbound, text
from storage.db import session_scope
from storage.messaging import outbox
from storage.models import OutboxMessage, OutboxStatus
from tests.fakes.clock import FakeClock
from tests.fakes.sender import ScriptedSender

LEASE = timedelta(minutes=2)


async def _queue(sessions: async_sessionmaker[AsyncSession], clock: FakeClock, count: int) -> None:
    async with session_scope(sessions) as session:
        for index in range(count):  # each its own content: no two share a send
            await outbox.enqueue(
                session,
                channel="wecom",
                person_id=None,
                recipient=f"user{index}",
                payload=text(f"第{index}条").to_payload(),
                idempotency_key=f"round:{index}",
                now=clock.now(),
            )


@contextmanager
def _statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL sent to the database (an executemany is one) while the block runs."""
    seen: list[str] = []

    def listen(*args: Any) -> None:
        seen.append(args[2].split()[0].upper())

    event.listen(engine.sync_engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listen)


async def test_a_round_of_forty_sends_costs_a_few_statements(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    await _queue(sessions, clock, 40)
    fake = ScriptedSender(batch_size=1000, delay=0.01)
    sender = OutboxSender(sessions=sessions, clock=clock, senders={"wecom": fake}, concurrency=40)

    with _statements(engine) as seen:
        assert await sender.run_once() == 40

    assert len(fake.calls) == 40
    writes = [kind for kind in seen if kind in ("UPDATE", "INSERT", "DELETE")]
    # the lease, the batch ids, then the results in one or two writes (those that finish
    # while an earlier write is under way share the next), never a statement per row
    assert writes[:2] == ["UPDATE", "UPDATE"] and len(writes) <= 4, seen
    async with sessions() as session:
        statuses = (await session.exec(select(OutboxMessage.status))).all()
    assert set(statuses) == {OutboxStatus.SENT}


async def test_results_of_a_round_four_sends_at_a_time_share_their_writes(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    """Sends finish one after another, a few in flight: each result used to be written as it
    came (two rows a transaction). The writer now waits while the round's other sends are in
    flight, so sixty results take a couple of writes."""
    await _queue(sessions, clock, 60)
    fake = ScriptedSender(batch_size=1000, delay=0.001)
    sender = OutboxSender(sessions=sessions, clock=clock, senders={"wecom": fake}, concurrency=4)

    with _statements(engine) as seen:
        assert await asyncio.wait_for(sender.run_once(), 30) == 60

    results = [kind for kind in seen if kind == "UPDATE"][2:]  # after the lease and batch ids
    assert 1 <= len(results) <= 3, seen
    async with sessions() as session:
        statuses = (await session.exec(select(OutboxMessage.status))).all()
    assert statuses == [OutboxStatus.SENT] * 60
    assert not sender._unrecorded


async def test_a_lone_send_is_written_without_waiting(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    """Nothing else in flight: the result is written at once, not after the writer's wait
    (made an hour here, so waiting would fail the test)."""
    await _queue(sessions, clock, 1)
    sender = OutboxSender(sessions=sessions, clock=clock, senders={"wecom": ScriptedSender()})
    sender._recorder.expect_seconds = 3600

    assert await asyncio.wait_for(sender.run_once(), 10) == 1


async def test_a_cancelled_round_expects_none_of_its_sends_any_more(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _queue(sessions, clock, 3)
    fake = ScriptedSender(batch_size=1000, delay=3600)
    all_started = asyncio.Event()
    send = fake.send

    async def counted(message: Outbound, recipients: Sequence[str], *, batch_key: str) -> Any:
        if len(fake.calls) == 2:  # this is the third: all are in flight once it sleeps
            all_started.set()
        return await send(message, recipients, batch_key=batch_key)

    monkeypatch.setattr(fake, "send", counted)
    sender = OutboxSender(sessions=sessions, clock=clock, senders={"wecom": fake})
    round_ = asyncio.create_task(sender.run_once())
    await asyncio.wait_for(all_started.wait(), 30)  # the claim may wait on the database
    assert len(sender._unrecorded) == 3

    round_.cancel()
    with pytest.raises(asyncio.CancelledError):
        await round_
    assert not sender._unrecorded


async def test_a_sender_whose_lease_ran_out_does_not_overwrite_the_newer_attempt(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    await _queue(sessions, clock, 1)
    async with session_scope(sessions) as session:
        [stale] = await outbox.claim_due(
            session, channels=["wecom"], now=clock.now(), lease=LEASE, limit=10
        )
    clock.advance(minutes=3)  # the first sender is presumed dead; another takes the row
    fake = ScriptedSender()
    await OutboxSender(
        sessions=sessions, clock=clock, senders={"wecom": fake}, rng=random.Random(1)
    ).run_once()

    late = outbox.Outcome(stale.id, stale.attempts, OutboxStatus.RETRYING, last_error="timeout")
    async with session_scope(sessions) as session:
        await outbox.record(session, [late])  # the first sender wakes up with a stale result

    async with sessions() as session:
        row = (
            await session.exec(select(OutboxMessage).where(col(OutboxMessage.id) == stale.id))
        ).one()
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 2, None)
    assert row.platform_msgid == "m-1" and len(fake.calls) == 1
