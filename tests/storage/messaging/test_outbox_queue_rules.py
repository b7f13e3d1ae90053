"""The outbox table's rules: what a queued row holds, which rows are due and leased, what
counts against a member's per-minute cap, and what the health and inbox views read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.messaging import outbox
from storage.models import OutboxMessage, OutboxStatus
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff

LEASE = timedelta(minutes=2)


async def _add(
    session: AsyncSession,
    clock: FakeClock,
    key: str,
    *,
    channel: str = "wecom",
    recipient: str = "u1",
    person_id: int | None = None,
    payload: dict[str, Any] | None = None,
    **fields: Any,
) -> OutboxMessage:
    row = await outbox.enqueue(
        session,
        channel=channel,
        person_id=person_id,
        recipient=recipient,
        payload=payload or {"kind": "text", "text": key},
        idempotency_key=key,
        now=clock.now(),
    )
    if fields:
        stored = await outbox.by_key(session, key)
        assert stored is not None
        for name, value in fields.items():
            setattr(stored, name, value)
        await session.flush()
    return row


async def _statuses(session: AsyncSession) -> dict[str, str]:
    rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    return {row.idempotency_key: row.status for row in rows}


def test_a_queued_row_waits_for_a_sender_and_a_delivered_one_is_sent_already(
    clock: FakeClock,
) -> None:
    now = clock.now()
    queued = outbox.row_values(
        channel="wecom",
        person_id=3,
        recipient="u1",
        payload={"text": "好", "kind": "text"},
        idempotency_key="k",
        now=now,
    )
    assert queued["status"] == OutboxStatus.QUEUED and queued["sent_at"] is None
    assert queued["next_attempt_at"] == now == queued["created_at"]
    assert queued["attempts"] == 0 and queued["platform_msgid"] is None
    assert queued["payload"] == '{"kind": "text", "text": "好"}'  # stable, readable JSON
    delivered = outbox.row_values(
        channel="simulator",
        person_id=3,
        recipient="u1",
        payload={"kind": "text", "text": "好"},
        idempotency_key="k2",
        now=now,
        delivered=True,
        platform_msgid="passive",
    )
    assert delivered["status"] == OutboxStatus.SENT and delivered["sent_at"] == now
    assert delivered["platform_msgid"] == "passive"


def test_identical_content_shares_a_content_key_only_within_a_channel(clock: FakeClock) -> None:
    def key(channel: str, payload: dict[str, Any]) -> str:
        values = outbox.row_values(
            channel=channel,
            person_id=None,
            recipient="r",
            payload=payload,
            idempotency_key="k",
            now=clock.now(),
        )
        return str(values["content_key"])

    same = key("wecom", {"kind": "text", "text": "通知"})
    assert same == key("wecom", {"text": "通知", "kind": "text"}) and len(same) == 64
    assert same != key("dingtalk", {"kind": "text", "text": "通知"})
    assert same != key("wecom", {"kind": "text", "text": "通知！"})


async def test_enqueue_returns_the_written_rows_and_counts_only_waiting_ones(
    session: AsyncSession, clock: FakeClock
) -> None:
    assert await outbox.enqueue_many(session, []) == []
    assert outbox.queued_in(session) == 0
    row = await _add(session, clock, "a", recipient="ZhangSan")
    assert row.id is not None and row.recipient == "ZhangSan"
    assert outbox.payload_of(row) == {"kind": "text", "text": "a"}
    await outbox.enqueue(
        session,
        channel="simulator",
        person_id=None,
        recipient="u",
        payload={"kind": "text", "text": "b"},
        idempotency_key="b",
        now=clock.now(),
        delivered=True,
    )
    await _add(session, clock, "c")
    assert outbox.queued_in(session) == 2
    stored = await outbox.by_key(session, "c")
    assert stored is not None and stored.status == "queued"
    assert await outbox.by_key(session, "nope") is None


async def test_claiming_leases_due_rows_of_the_senders_channels_oldest_first(
    session: AsyncSession, clock: FakeClock
) -> None:
    now = clock.now()
    # each row to its own recipient: a recipient's rows go in order (the test below)
    await _add(session, clock, "due", recipient="due")
    await _add(session, clock, "retry-due", recipient="r2", status=OutboxStatus.RETRYING)
    await _add(session, clock, "later", recipient="r3", next_attempt_at=now + timedelta(seconds=1))
    await _add(session, clock, "sent", recipient="r4", status=OutboxStatus.SENT)
    await _add(session, clock, "failed", recipient="r5", status=OutboxStatus.FAILED)
    await _add(session, clock, "dingtalk", channel="dingtalk")
    await _add(
        session, clock, "leased", recipient="r6", status=OutboxStatus.SENDING, lease_until=now
    )
    dead = now - timedelta(seconds=1)
    await _add(
        session, clock, "dead-lease", recipient="r7", status=OutboxStatus.SENDING, lease_until=dead
    )
    await _add(
        session, clock, "sent-stale", recipient="r8", status=OutboxStatus.SENT, lease_until=dead
    )

    rows = await outbox.claim_due(session, channels=["wecom"], now=now, lease=LEASE, limit=10)

    assert [row.idempotency_key for row in rows] == ["due", "retry-due", "dead-lease"]
    assert all(row.status == OutboxStatus.SENDING for row in rows)
    assert all(row.lease_until == now + LEASE and row.attempts == 1 for row in rows)
    statuses = await _statuses(session)
    assert statuses["later"] == "queued" and statuses["dingtalk"] == "queued"
    assert statuses["leased"] == "sending" and statuses["sent"] == "sent"
    assert await outbox.claim_due(session, channels=["wecom"], now=now, lease=LEASE, limit=10) == []


async def test_a_claim_takes_at_most_the_limit(session: AsyncSession, clock: FakeClock) -> None:
    for index in range(3):
        await _add(session, clock, f"k{index}", recipient=f"u{index}")
    now = clock.now()
    first = await outbox.claim_due(session, channels=["wecom"], now=now, lease=LEASE, limit=2)
    assert [row.idempotency_key for row in first] == ["k0", "k1"]
    rest = await outbox.claim_due(session, channels=["wecom"], now=now, lease=LEASE, limit=2)
    assert [row.idempotency_key for row in rest] == ["k2"]


async def test_a_recipients_rows_are_claimed_one_at_a_time_in_order(
    session: AsyncSession, clock: FakeClock
) -> None:
    """The next row to a person waits while an earlier one is due or being sent (another
    sender may hold it), so replicas and a round's concurrent batches keep the order."""
    now = clock.now()
    await _add(session, clock, "a1", recipient="a")
    await _add(session, clock, "b1", recipient="b")
    await _add(session, clock, "a2", recipient="a")
    await _add(session, clock, "b-wait", recipient="b", next_attempt_at=now + timedelta(hours=8))
    await _add(session, clock, "b2", recipient="b")

    def keys(rows: list[outbox.Leased]) -> list[str]:
        return [row.idempotency_key for row in rows]

    claim = {"channels": ["wecom"], "now": now, "lease": LEASE, "limit": 10}
    # b-wait waits for the morning (quiet hours): b2 does not wait for it, but for b1
    assert keys(await outbox.claim_due(session, **claim)) == ["a1", "b1"]
    assert await outbox.claim_due(session, **claim) == []  # a1, b1 are being sent
    sent = {"status": OutboxStatus.SENT, "sent_at": now}
    for key in ("a1", "b1"):
        row = await outbox.by_key(session, key)
        assert row is not None
        for name, value in sent.items():
            setattr(row, name, value)
    await session.flush()
    assert keys(await outbox.claim_due(session, **claim)) == ["a2", "b2"]


async def test_only_active_sends_in_the_window_count_against_the_cap(
    session: AsyncSession, clock: FakeClock
) -> None:
    now = clock.now()
    since = now - timedelta(minutes=1)
    sent = OutboxStatus.SENT
    await _add(session, clock, "active", status=sent, sent_at=since, platform_msgid="m1")
    await _add(session, clock, "no-msgid", status=sent, sent_at=now)
    await _add(session, clock, "passive", status=sent, sent_at=now, platform_msgid="passive")
    await _add(session, clock, "old", status=sent, sent_at=since - timedelta(seconds=1))
    await _add(session, clock, "queued")
    await _add(session, clock, "other", recipient="u2", status=sent, sent_at=now)
    await _add(session, clock, "ding", channel="dingtalk", status=sent, sent_at=now)

    recent = await outbox.recent_sends(session, channel="wecom", recipients=["u1"], since=since)

    assert recent == {"u1": [since, now]} or recent == {"u1": [now, since]}
    both = await outbox.recent_sends(
        session, channel="wecom", recipients=["u1", "u2", "u3"], since=since
    )
    assert sorted(both) == ["u1", "u2"] and len(both["u2"]) == 1


async def test_a_passive_reply_that_did_not_ride_goes_back_to_the_queue(
    session: AsyncSession, clock: FakeClock
) -> None:
    sent = OutboxStatus.SENT
    row = await _add(
        session, clock, "p", status=sent, platform_msgid="passive", sent_at=clock.now()
    )
    assert row.id is not None
    await outbox.requeue(session, row.id, now=clock.advance(seconds=5))
    session.expunge_all()
    again = await outbox.by_key(session, "p")
    assert again is not None and again.status == OutboxStatus.QUEUED
    assert again.sent_at is None and again.platform_msgid is None
    assert again.next_attempt_at == clock.now()


async def test_a_persons_inbox_lists_what_was_delivered_to_them_in_order(
    session: AsyncSession, clock: FakeClock
) -> None:
    me = await make_staff(session)
    other = await make_staff(session)
    sent = OutboxStatus.SENT
    first = await _add(session, clock, "1", person_id=me.id, status=sent, channel="simulator")
    await _add(session, clock, "2", person_id=me.id, channel="simulator")
    await _add(session, clock, "3", person_id=other.id, status=sent, channel="simulator")
    await _add(session, clock, "4", person_id=me.id, status=sent, channel="wecom")
    await _add(session, clock, "5", person_id=me.id, status=sent, channel="simulator")
    await _add(session, clock, "6", person_id=me.id, status=sent, channel="simulator")
    assert me.id is not None and first.id is not None

    def keys(rows: Any) -> list[str]:
        return [row.idempotency_key for row in rows]

    inbox = await outbox.delivered_to(session, channel="simulator", person_id=me.id)
    assert keys(inbox) == ["1", "5", "6"]
    after = await outbox.delivered_to(session, channel="simulator", person_id=me.id, after=first.id)
    assert keys(after) == ["5", "6"]
    one = await outbox.delivered_to(session, channel="simulator", person_id=me.id, limit=1)
    assert keys(one) == ["1"]


async def test_health_counts_rows_by_status_and_the_commonest_errors(
    session: AsyncSession, clock: FakeClock
) -> None:
    retrying, failed = OutboxStatus.RETRYING, OutboxStatus.FAILED
    for index in range(3):
        await _add(session, clock, f"busy{index}", status=retrying, last_error="timeout")
    await _add(session, clock, "bad", status=failed, last_error="invaliduser")
    await _add(session, clock, "bad2", status=failed, last_error="invaliduser")
    await _add(session, clock, "odd", status=failed, last_error="odd")
    await _add(session, clock, "sent", status=OutboxStatus.SENT, last_error="stale")
    await _add(session, clock, "ding", channel="dingtalk")
    await _add(session, clock, "queued")

    assert await outbox.status_counts(session) == [
        ("dingtalk", "queued", 1),
        ("wecom", "failed", 3),
        ("wecom", "queued", 1),
        ("wecom", "retrying", 3),
        ("wecom", "sent", 1),
    ]
    errors = [("timeout", 3), ("invaliduser", 2), ("odd", 1)]  # by count, not by name
    assert await outbox.common_errors(session) == errors
    assert await outbox.common_errors(session, limit=1) == [("timeout", 3)]
    for index in range(3):
        await _add(session, clock, f"rare{index}", status=failed, last_error=f"rare{index}")
    assert len(await outbox.common_errors(session)) == 5  # the five commonest by default


async def test_rows_are_read_back_by_id(session: AsyncSession, clock: FakeClock) -> None:
    a = await _add(session, clock, "a")
    await _add(session, clock, "b")
    c = await _add(session, clock, "c")
    assert a.id is not None and c.id is not None
    rows = await outbox.rows_by_id(session, [a.id, c.id])
    assert sorted(row.idempotency_key for row in rows) == ["a", "c"]
