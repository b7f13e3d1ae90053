"""The outbox sender: leases due rows, batches identical content, sends, records per recipient.

Runs as a fast path in the web process (woken right after a commit that queued rows) and as
the sweeper in the clock process. Leases make concurrent senders safe; a batch keeps its id and
its recipient order across retries, so a resend after a crash is byte-identical and platforms
with duplicate checks (WeCom `enable_duplicate_check`) deliver it once.

This runs for nearly every reply, so the database work is a few Core statements per round, not
per row: one UPDATE … RETURNING leases the rows (with what sending needs), one executemany
stores new batch ids, and results are written by one executemany per transaction, shared by
the batches that finish while an earlier write is under way (the inbound `Batcher`). While other
sends of the round are still in flight, the writer waits for their results too (at most
`Batcher.expect_seconds`, 20 ms): a crash in that wait leaves those rows leased, and they are
resent as the identical batch when the lease runs out, as after a crash during the send
itself. A result is written only while the row's lease is still ours (its attempt count is the
token).
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.background import in_background, woken
from bot.channels.base import ConfigurationError, Delivery, Sender, TransientError
from bot.clock import Clock
from bot.inbound.batch import LINGER_TURNS, Batcher
from handlers.envelopes import Outbound
from storage.db import session_scope
from storage.messaging import outbox
from storage.models import OutboxStatus

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=1)


@dataclass(slots=True)
class Batch:
    channel: str
    batch_id: str
    rows: list[outbox.Leased]
    message: Outbound

    @property
    def row_ids(self) -> list[int]:
        return [row.id for row in self.rows]

    @property
    def recipients(self) -> list[str]:
        return [row.recipient for row in self.rows]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: float = 2.0
    cap: float = 1800.0
    max_attempts: int = 20
    config_delay: float = 600.0

    def delay(self, attempts: int, rng: random.Random) -> timedelta:
        """Exponential backoff with ±20 % jitter, capped."""
        seconds = min(self.cap, self.base * 2 ** max(0, attempts - 1))
        return timedelta(seconds=seconds * rng.uniform(0.8, 1.2))


class OutboxSender:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        senders: Mapping[str, Sender],
        lease: timedelta = timedelta(minutes=2),
        claim_limit: int = 5000,
        concurrency: int = 4,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.sessions, self.clock, self.senders = sessions, clock, dict(senders)
        self.lease, self.claim_limit = lease, claim_limit
        self.policy = policy or RetryPolicy()
        self._rng = rng or random.Random()
        self._gate = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._unrecorded: set[str] = set()
        """Batch ids of the rounds under way whose outcomes are not yet handed to the writer:
        while there are some, the writer waits for their outcomes to share its transaction."""
        self._recorder: Batcher[list[outbox.Outcome], None] = Batcher(
            self._write, linger=LINGER_TURNS, expecting=lambda: bool(self._unrecorded)
        )
        self.on_send_failed: Callable[[str, str | None], None] = lambda channel, error: None
        """Told (channel, error) for each recipient a send did not reach (bot/metrics.py)."""

    def wake(self) -> None:
        """Rows were queued: send them now rather than at the next sweep."""
        self._wake.set()

    async def run_once(self) -> int:
        """Claim and send everything due now; the number of rows attempted."""
        if not self.senders:
            return 0
        batches = await self._claim()
        ids = {batch.batch_id for batch in batches}
        self._unrecorded |= ids
        try:
            await asyncio.gather(*(self._send(batch) for batch in batches))
        finally:  # cancelled mid-round: what never reached _record is expected no more
            self._unrecorded -= ids
        return sum(len(batch.row_ids) for batch in batches)

    async def drain(self, *, max_rounds: int = 1000) -> int:
        """Run until nothing is due now (rows held back for later stay queued)."""
        total = 0
        for _ in range(max_rounds):
            sent = await self.run_once()
            if sent == 0:
                break
            total += sent
        return total

    @asynccontextmanager
    async def running(self, *, poll: float = 5.0) -> AsyncIterator[None]:
        """Deliver in the background while the context is open."""
        async with in_background(woken(self._wake, poll, self.drain, "outbox sweep")):
            yield

    async def _claim(self) -> list[Batch]:
        """Lease what is due, hold back what a per-minute cap forbids, and give each new batch
        its id, in one transaction of a few statements whatever the number of rows."""
        now = self.clock.now()
        async with session_scope(self.sessions) as session:
            rows = await outbox.claim_due(
                session,
                channels=sorted(self.senders),
                now=now,
                lease=self.lease,
                limit=self.claim_limit,
            )
            if not rows:
                return []
            fresh = [row for row in rows if row.batch_id is None]
            resent = [row for row in rows if row.batch_id is not None]
            held = await self._hold_back(session, fresh, now, resent=resent)
            batches = self._batches([row for row in rows if row.id not in held])
            await outbox.assign_batches(session, _new_batch_ids(batches, rows))
            return batches

    async def _hold_back(
        self,
        session: AsyncSession,
        rows: list[outbox.Leased],
        now: datetime,
        *,
        resent: Sequence[outbox.Leased] = (),
    ) -> set[int]:
        """Keep each member under the platform's per-minute cap (WeCom drops the excess).
        Kept batches leave whole, never held back, so they count: the ones resent now and the
        ones due again within the minute (a slot given back after a failure is given twice)."""
        until: dict[int, datetime] = {}
        for channel, sender in self.senders.items():
            cap = sender.per_member_per_minute
            mine = [row for row in rows if row.channel == channel]
            if cap is None or not mine:
                continue
            members = sorted({row.recipient for row in mine})
            recent = await outbox.recent_sends(
                session, channel=channel, recipients=members, since=now - WINDOW
            )
            kept = await outbox.kept_retries(
                session, channel=channel, recipients=members, before=now + WINDOW
            )
            for recipient, due in kept.items():
                recent.setdefault(recipient, []).extend(max(now, at) for at in due)
            for row in resent:
                if row.channel == channel:
                    recent.setdefault(row.recipient, []).append(now)
            for row in mine:
                times = recent.setdefault(row.recipient, [])
                if len(times) < cap:
                    times.append(now)
                else:
                    until[row.id] = sorted(times)[-cap] + WINDOW
        await outbox.hold_back(session, until)
        return set(until)

    def _batches(self, rows: Sequence[outbox.Leased]) -> list[Batch]:
        """Group by existing batch id (a retry resends the same batch) or by content."""
        groups: dict[tuple[str, str], list[outbox.Leased]] = {}
        for row in rows:
            key = ("batch", row.batch_id) if row.batch_id else (row.channel, row.content_key)
            groups.setdefault(key, []).append(row)
        batches: list[Batch] = []
        for members in groups.values():
            size = self.senders[members[0].channel].batch_size
            for start in range(0, len(members), size):
                batches.append(_batch(members[start : start + size]))
        return batches

    async def _send(self, batch: Batch) -> None:
        sender = self.senders[batch.channel]
        async with self._gate:
            try:
                deliveries = await sender.send(
                    batch.message, batch.recipients, batch_key=batch.batch_id
                )
            except ConfigurationError as exc:
                log.error("%s refuses to send until reconfigured: %s", batch.channel, exc)
                await self._retry_all(batch, str(exc), self.policy.config_delay, keep=False)
                return
            except TransientError as exc:
                await self._retry_all(batch, str(exc), None, keep=True)
                return
            except Exception as exc:
                log.exception("%s sender failed", batch.channel)
                await self._retry_all(batch, f"{type(exc).__name__}: {exc}", None, keep=True)
                return
        await self._record(batch, deliveries)

    async def _retry_all(self, batch: Batch, error: str, delay: float | None, keep: bool) -> None:
        deliveries = [
            Delivery(recipient, "retry", error=error, retry_after=delay)
            for recipient in batch.recipients
        ]
        await self._record(batch, deliveries, keep_batch=keep)

    async def _record(
        self, batch: Batch, deliveries: Sequence[Delivery], *, keep_batch: bool = False
    ) -> None:
        """Each row's outcome; batches that finish while another's are being written wait and
        share the next transaction (one executemany for all of them)."""
        by_recipient = {d.recipient.lower(): d for d in deliveries}
        now = self.clock.now()
        # One backoff for the whole batch: a kept batch must come due again as one, or its
        # rows leave in pieces (another request body, which no duplicate check recognises).
        backoff = self.policy.delay(max(row.attempts for row in batch.rows), self._rng)
        outcomes = []
        for row in batch.rows:
            missing = Delivery(row.recipient, "retry", error="no result from platform")
            delivery = by_recipient.get(row.recipient.lower(), missing)
            if delivery.status != "sent":
                self.on_send_failed(batch.channel, delivery.error)
            outcomes.append(self._outcome(row, batch.batch_id, delivery, now, keep_batch, backoff))
        self._unrecorded.discard(batch.batch_id)
        await self._recorder.submit(outcomes, key=batch.batch_id)

    async def _write(self, work: list[list[outbox.Outcome]]) -> list[None]:
        async with session_scope(self.sessions) as session:
            await outbox.record(session, [outcome for outcomes in work for outcome in outcomes])
        return [None] * len(work)

    def _outcome(
        self,
        row: outbox.Leased,
        batch_id: str,
        delivery: Delivery,
        now: datetime,
        keep: bool,
        backoff: timedelta,
    ) -> outbox.Outcome:
        done = outbox.Outcome(row.id, row.attempts, OutboxStatus.SENT, batch_id=batch_id)
        if delivery.status == "sent":
            return done._replace(
                platform_msgid=delivery.msgid, response_code=delivery.response_code, sent_at=now
            )
        if delivery.status == "failed" or row.attempts >= self.policy.max_attempts:
            reason = delivery.error or "failed"
            if delivery.status != "failed":
                reason = f"gave up after {row.attempts} attempts: {reason}"
            log.warning("outbox row %s failed permanently: %s", row.id, reason)
            return done._replace(status=OutboxStatus.FAILED, last_error=reason[:500])
        delay = (
            timedelta(seconds=delivery.retry_after) if delivery.retry_after is not None else backoff
        )
        return done._replace(
            status=OutboxStatus.RETRYING,
            next_attempt_at=now + delay,
            last_error=(delivery.error or "retry")[:500],
            batch_id=batch_id if keep else None,
        )


def _batch(rows: Sequence[outbox.Leased]) -> Batch:
    """Rows of one batch share content; a new batch gets an id that survives retries."""
    return Batch(
        channel=rows[0].channel,
        batch_id=rows[0].batch_id or uuid.uuid4().hex,
        rows=list(rows),
        message=Outbound.from_payload(outbox.payload_of(rows[0])),
    )


def _new_batch_ids(batches: Sequence[Batch], rows: Sequence[outbox.Leased]) -> dict[int, str]:
    """row id → batch id, for the rows whose batch is new (to be stored before sending)."""
    stored = {row.id: row.batch_id for row in rows}
    return {
        row.id: batch.batch_id
        for batch in batches
        for row in batch.rows
        if stored[row.id] != batch.batch_id
    }
