"""What the outbox sender does with each answer a platform gives: sent, refused, retry later,
no answer, a crash; when it gives up; and what it records on each row."""

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
    key: str = "k",
    channel: str = "wecom",
    platform_msgid: str | None = None,
    delivered: bool = False,
) -> None:
    async with session_scope(sessions) as session:
        for index, recipient in enumerate(recipients):
            await outbox.enqueue(
                session,
                channel=channel,
                person_id=None,
                recipient=recipient,
                payload=message.to_payload(),
                idempotency_key=f"{key}:{index}:{recipient}",
                now=clock.now(),
                delivered=delivered,
                platform_msgid=platform_msgid,
            )


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessions() as session:
        query = select(OutboxMessage).order_by(col(OutboxMessage.id))
        return list((await session.exec(query)).all())


def _sender(
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    *fakes: ScriptedSender,
    policy: RetryPolicy | None = None,
) -> OutboxSender:
    return OutboxSender(
        sessions=sessions,
        clock=clock,
        senders={fake.channel: fake for fake in fakes},
        policy=policy,
        rng=random.Random(7),
    )


def _answer(*deliveries: Delivery) -> ScriptedSender:
    return ScriptedSender(script=[lambda message, recipients: list(deliveries)])


async def test_a_sent_row_records_when_and_the_platforms_ids(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = _answer(Delivery("a", "sent", msgid="m1", response_code="rc1"))
    await _queue(sessions, clock, ["a"], text("通知"))

    assert await _sender(sessions, clock, fake).run_once() == 1

    [row] = await _rows(sessions)
    assert (row.status, row.sent_at, row.platform_msgid) == ("sent", clock.now(), "m1")
    assert row.response_code == "rc1" and row.lease_until is None and row.last_error is None
    assert row.attempts == 1


async def test_a_platform_answering_in_other_letter_case_still_matches_the_recipient(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = _answer(Delivery("zhangsan", "sent", msgid="m1"))
    await _queue(sessions, clock, ["ZhangSan"], text("通知"))

    await _sender(sessions, clock, fake).run_once()

    assert [row.status for row in await _rows(sessions)] == ["sent"]


async def test_a_recipient_the_platform_said_nothing_about_is_retried(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = _answer(Delivery("a", "sent", msgid="m1"))
    await _queue(sessions, clock, ["a", "b"], text("通知"))

    await _sender(sessions, clock, fake).run_once()

    a, b = await _rows(sessions)
    assert a.status == "sent"
    assert (b.status, b.last_error) == ("retrying", "no result from platform")
    assert b.lease_until is None and b.batch_id is None  # resent alone or with new company
    assert 1.6 <= (b.next_attempt_at - clock.now()).total_seconds() <= 2.4


async def test_a_refused_recipient_fails_at_once_with_the_platforms_reason(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = _answer(Delivery("a", "failed", error="x" * 600), Delivery("b", "failed"))
    await _queue(sessions, clock, ["a", "b"], text("通知"))

    await _sender(sessions, clock, fake).run_once()

    a, b = await _rows(sessions)
    assert a.status == "failed" and a.last_error == "x" * 500
    assert (b.status, b.last_error) == ("failed", "failed")


async def test_a_crashing_sender_keeps_the_batch_for_a_byte_identical_retry(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake = ScriptedSender(script=[RuntimeError("boom")])
    await _queue(sessions, clock, ["a", "b"], text("通知"))
    sender = _sender(sessions, clock, fake)

    await sender.run_once()

    rows = await _rows(sessions)
    assert {(row.status, row.last_error) for row in rows} == {("retrying", "RuntimeError: boom")}
    assert len({row.batch_id for row in rows}) == 1 and rows[0].batch_id is not None
    assert any(r.getMessage() == "wecom sender failed" for r in caplog.records)
    clock.advance(seconds=3)
    await sender.run_once()
    assert fake.calls[0][1:] == fake.calls[1][1:]
    assert {row.status for row in await _rows(sessions)} == {"sent"}


async def test_a_busy_platform_keeps_the_batch_and_its_reason(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = ScriptedSender(script=[TransientError(-1, "system busy")])
    await _queue(sessions, clock, ["a", "b"], text("通知"))

    await _sender(sessions, clock, fake).run_once()

    rows = await _rows(sessions)
    assert {row.status for row in rows} == {"retrying"}
    assert all(row.last_error == "-1: system busy" for row in rows)
    assert rows[0].batch_id == rows[1].batch_id == fake.calls[0][2]


async def test_a_misconfigured_channel_waits_the_long_delay_and_regroups(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake = ScriptedSender(script=[ConfigurationError(60020, "ip not allowed")])
    await _queue(sessions, clock, ["a", "b"], text("通知"))
    sender = _sender(sessions, clock, fake, policy=RetryPolicy(config_delay=600))

    await sender.run_once()

    rows = await _rows(sessions)
    assert all(row.next_attempt_at == clock.now() + timedelta(seconds=600) for row in rows)
    assert all(row.batch_id is None and row.status == "retrying" for row in rows)
    assert all(row.last_error == "60020: ip not allowed" for row in rows)
    logged = [r.getMessage() for r in caplog.records]
    assert "wecom refuses to send until reconfigured: 60020: ip not allowed" in logged
    clock.advance(seconds=599)
    assert await sender.run_once() == 0
    clock.advance(seconds=1)
    assert await sender.run_once() == 2


async def test_the_last_allowed_attempt_is_still_made_then_the_row_gives_up(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    retry = Delivery("a", "retry", error="busy", retry_after=1)
    fake = ScriptedSender(script=[lambda m, r: [retry]] * 3)
    await _queue(sessions, clock, ["a"], text("通知"))
    sender = _sender(sessions, clock, fake, policy=RetryPolicy(max_attempts=3))

    for attempt in (1, 2):
        await sender.run_once()
        [row] = await _rows(sessions)
        assert (row.status, row.attempts, row.last_error) == ("retrying", attempt, "busy")
        clock.advance(seconds=1)
    await sender.run_once()

    [row] = await _rows(sessions)
    assert (row.status, row.last_error) == ("failed", "gave up after 3 attempts: busy")
    clock.advance(hours=1)
    assert await sender.run_once() == 0 and len(fake.calls) == 3


async def test_a_retry_without_a_reason_says_retry(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = _answer(Delivery("a", "retry", retry_after=5))
    await _queue(sessions, clock, ["a"], text("通知"))

    await _sender(sessions, clock, fake).run_once()

    [row] = await _rows(sessions)
    assert (row.status, row.last_error) == ("retrying", "retry")
    assert row.next_attempt_at == clock.now() + timedelta(seconds=5)


async def test_each_channel_gets_its_own_batches_and_unknown_channels_wait(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    wecom, dingtalk = ScriptedSender(batch_size=2), ScriptedSender(channel="dingtalk")
    await _queue(sessions, clock, ["a", "b", "c"], text("通知"))
    await _queue(sessions, clock, ["a"], text("通知"), key="d", channel="dingtalk")
    await _queue(sessions, clock, ["a"], text("通知"), key="s", channel="simulator")
    sender = _sender(sessions, clock, wecom, dingtalk)

    assert await sender.drain() == 4

    assert [len(call[1]) for call in wecom.calls] == [2, 1]
    assert dingtalk.calls == [("通知", ("a",), dingtalk.calls[0][2])]
    statuses = {row.channel: row.status for row in await _rows(sessions)}
    assert statuses == {"wecom": "sent", "dingtalk": "sent", "simulator": "queued"}


async def test_without_senders_nothing_is_claimed(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    await _queue(sessions, clock, ["a"], text("通知"))
    sender = OutboxSender(sessions=sessions, clock=clock, senders={})

    assert await sender.run_once() == 0 and await sender.drain() == 0
    [row] = await _rows(sessions)
    assert row.status == "queued" and row.attempts == 0


async def test_a_held_back_message_keeps_its_attempts_and_leaves_when_the_minute_is_up(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = ScriptedSender(batch_size=10, per_member_per_minute=2)
    await _queue(sessions, clock, ["a"], text("早"), key="old", delivered=True)
    clock.advance(seconds=20)
    for index in range(3):
        await _queue(sessions, clock, ["a"], text(f"第{index}条"), key=f"k{index}")
    sender = _sender(sessions, clock, fake)

    assert await sender.run_once() == 1  # one sent 20 s ago counts: one more this minute
    # a recipient's rows are claimed one at a time, in order: each next one is held in turn
    assert await sender.run_once() == 0 and await sender.run_once() == 0

    held = [row for row in await _rows(sessions) if row.status == "retrying"]
    assert len(held) == 2 and all(row.attempts == 0 for row in held)
    assert all(row.next_attempt_at == clock.now() + timedelta(seconds=40) for row in held)
    clock.advance(seconds=40)
    assert await sender.run_once() == 0  # the first send is still inside this minute
    clock.advance(seconds=1)
    assert await sender.run_once() == 1  # the next minute's; the other waits again
    assert [call[0] for call in fake.calls] == ["第0条", "第1条"]


async def test_passive_replies_do_not_count_against_the_cap(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = ScriptedSender(batch_size=10, per_member_per_minute=1)
    await _queue(
        sessions, clock, ["a"], text("被动"), key="p", delivered=True, platform_msgid="passive"
    )
    await _queue(sessions, clock, ["a"], text("主动"))

    assert await _sender(sessions, clock, fake).run_once() == 1
    assert fake.calls[0][0] == "主动"


async def test_drain_stops_after_max_rounds(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = ScriptedSender(batch_size=1, per_member_per_minute=None)
    await _queue(sessions, clock, ["a", "b", "c"], text("通知"))
    sender = _sender(sessions, clock, fake)
    sender.claim_limit = 1

    assert await sender.drain(max_rounds=2) == 2
    assert await sender.drain() == 1


@pytest.mark.parametrize(("attempts", "base"), [(0, 2.0), (1, 2.0), (2, 4.0), (12, 1800.0)])
def test_backoff_doubles_from_the_base_with_jitter_of_a_fifth(attempts: int, base: float) -> None:
    policy = RetryPolicy()
    low = policy.delay(attempts, random.Random(0)).total_seconds()
    delays = [policy.delay(attempts, random.Random(seed)).total_seconds() for seed in range(200)]
    assert 0.8 * base <= min(delays) < 0.85 * base and 1.15 * base < max(delays) <= 1.2 * base
    assert low == pytest.approx(base * random.Random(0).uniform(0.8, 1.2))


class SignallingSender(ScriptedSender):
    """Says when it has sent, so a test can wait for the background loop without polling."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = asyncio.Event()

    async def send(
        self, message: Outbound, recipients: Sequence[str], *, batch_key: str
    ) -> list[Delivery]:
        deliveries = await super().send(message, recipients, batch_key=batch_key)
        self.sent.set()
        return deliveries


async def test_a_woken_sender_delivers_at_once_and_survives_a_failing_sweep(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake = SignallingSender()
    sender = _sender(sessions, clock, fake)
    broken = asyncio.Event()
    original = sender.drain

    async def drain_once_broken(*, max_rounds: int = 1000) -> int:
        if not broken.is_set():
            broken.set()
            raise RuntimeError("database went away")
        return await original(max_rounds=max_rounds)

    sender.drain = drain_once_broken  # type: ignore[method-assign]
    async with sender.running(poll=3600):  # only a wake can explain a delivery
        sender.wake()
        await asyncio.wait_for(broken.wait(), timeout=5)
        await _queue(sessions, clock, ["a"], text("通知"))
        sender.wake()
        await asyncio.wait_for(fake.sent.wait(), timeout=5)
    assert [call[1] for call in fake.calls] == [("a",)]
    assert any(r.getMessage() == "outbox sweep failed; will retry" for r in caplog.records)


async def test_without_a_wake_the_sender_still_sweeps_every_poll(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = SignallingSender()
    sender = _sender(sessions, clock, fake)
    async with sender.running(poll=0.01):
        await _queue(sessions, clock, ["a"], text("通知"))  # nobody calls wake()
        await asyncio.wait_for(fake.sent.wait(), timeout=5)
    assert [call[1] for call in fake.calls] == [("a",)]


async def test_a_sender_without_its_own_random_source_still_backs_off(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = _answer(Delivery("a", "retry", error="x" * 600))
    await _queue(sessions, clock, ["a"], text("通知"))

    await OutboxSender(sessions=sessions, clock=clock, senders={"wecom": fake}).run_once()

    [row] = await _rows(sessions)
    assert 1.6 <= (row.next_attempt_at - clock.now()).total_seconds() <= 2.4
    assert row.last_error == "x" * 500


async def test_giving_up_on_a_row_is_logged_with_its_reason(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake = _answer(Delivery("a", "failed", error="invaliduser"))
    await _queue(sessions, clock, ["a"], text("通知"))

    await _sender(sessions, clock, fake).run_once()

    [row] = await _rows(sessions)
    logged = [r.getMessage() for r in caplog.records]
    assert f"outbox row {row.id} failed permanently: invaliduser" in logged


async def test_a_retried_batch_is_resent_as_it_was_not_merged_with_new_rows(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = ScriptedSender(batch_size=10, script=[TransientError(-1, "system busy")])
    await _queue(sessions, clock, ["a", "b"], text("通知"))
    sender = _sender(sessions, clock, fake)
    await sender.run_once()
    clock.advance(seconds=3)
    await _queue(sessions, clock, ["c"], text("通知"), key="later")

    await sender.run_once()

    first, *rest = fake.calls
    assert sorted(call[1] for call in rest) == [("a", "b"), ("c",)]
    assert next(call[2] for call in rest if call[1] == ("a", "b")) == first[2]


class GatedSender(ScriptedSender):
    """Holds every send until the test opens the gate, counting sends in flight."""

    def __init__(self) -> None:
        super().__init__(batch_size=1)
        self.gate, self.busy = asyncio.Event(), asyncio.Event()
        self.in_flight = self.most = 0

    async def send(
        self, message: Outbound, recipients: Sequence[str], *, batch_key: str
    ) -> list[Delivery]:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        if self.in_flight == 4:
            self.busy.set()
        await self.gate.wait()
        self.in_flight -= 1
        return await super().send(message, recipients, batch_key=batch_key)


async def test_at_most_four_sends_are_in_flight_at_once(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    fake = GatedSender()
    for index in range(6):
        await _queue(sessions, clock, [f"u{index}"], text(f"第{index}条"), key=f"k{index}")
    sending = asyncio.create_task(_sender(sessions, clock, fake).run_once())
    await asyncio.wait_for(fake.busy.wait(), timeout=5)
    for _ in range(20):
        await asyncio.sleep(0)  # give a fifth send every chance to start
    assert fake.in_flight == 4
    fake.gate.set()
    assert await sending == 6
    assert fake.most == 4 and len(fake.calls) == 6


async def test_a_capped_channel_listed_after_an_uncapped_one_is_still_capped(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    dingtalk = ScriptedSender(channel="dingtalk")  # no per-member cap
    wecom = ScriptedSender(batch_size=10, per_member_per_minute=1)
    for index in range(2):
        await _queue(sessions, clock, ["a"], text(f"第{index}条"), key=f"k{index}")
    sender = _sender(sessions, clock, dingtalk, wecom)

    assert await sender.run_once() == 1
    assert [call[0] for call in wecom.calls] == ["第0条"]
