"""The outbox sender: leases due rows, batches identical content, sends, records per recipient.

Runs as a fast path in the web process (woken right after a commit that queued rows) and as
the sweeper in the clock process. Leases make concurrent senders safe; a batch keeps its id and
its recipient order across retries, so a resend after a crash is byte-identical and platforms
with duplicate checks (WeCom `enable_duplicate_check`) deliver it once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.background import in_background
from bot.channels.base import ConfigurationError, Delivery, Sender, TransientError
from bot.clock import Clock
from handlers.envelopes import Outbound
from storage.db import session_scope
from storage.messaging import outbox
from storage.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=1)


@dataclass(slots=True)
class Batch:
    channel: str
    batch_id: str
    row_ids: list[int]
    recipients: list[str]
    message: Outbound


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

    def wake(self) -> None:
        """Rows were queued: send them now rather than at the next sweep."""
        self._wake.set()

    async def run_once(self) -> int:
        """Claim and send everything due now; the number of rows attempted."""
        if not self.senders:
            return 0
        batches = await self._claim()
        await asyncio.gather(*(self._send(batch) for batch in batches))
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
        async with in_background(self._loop(poll)):
            yield

    async def _loop(self, poll: float) -> None:
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancellation that
            # arrives with the wake-up, and the sender would never stop.
            with suppress(TimeoutError):
                async with asyncio.timeout(poll):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.drain()
            except Exception:
                log.exception("outbox sweep failed; will retry")

    async def _claim(self) -> list[Batch]:
        now = self.clock.now()
        async with session_scope(self.sessions) as session:
            rows = await outbox.claim_due(
                session,
                channels=sorted(self.senders),
                now=now,
                lease=self.lease,
                limit=self.claim_limit,
            )
            fresh = [row for row in rows if row.batch_id is None]
            held = await self._hold_back(session, fresh, now)
            sendable = [row for row in rows if row.id not in held]
            return self._batches(sendable)

    async def _hold_back(
        self, session: AsyncSession, rows: list[OutboxMessage], now: datetime
    ) -> set[int | None]:
        """Keep each member under the platform's per-minute cap (WeCom drops the excess)."""
        held: set[int | None] = set()
        for channel, sender in self.senders.items():
            cap = sender.per_member_per_minute
            mine = [row for row in rows if row.channel == channel]
            if cap is None or not mine:
                continue
            recent = await outbox.recent_sends(
                session,
                channel=channel,
                recipients=sorted({row.recipient for row in mine}),
                since=now - WINDOW,
            )
            for row in mine:
                times = recent.setdefault(row.recipient, [])
                if len(times) < cap:
                    times.append(now)
                    continue
                held.add(row.id)
                row.status, row.lease_until = OutboxStatus.RETRYING, None
                row.next_attempt_at, row.attempts = sorted(times)[-cap] + WINDOW, row.attempts - 1
        await session.flush()
        return held

    def _batches(self, rows: Sequence[OutboxMessage]) -> list[Batch]:
        """Group by existing batch id (a retry resends the same batch) or by content."""
        groups: dict[tuple[str, str], list[OutboxMessage]] = {}
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
        by_recipient = {d.recipient.lower(): d for d in deliveries}
        now = self.clock.now()
        async with session_scope(self.sessions) as session:
            for row in await outbox.rows_by_id(session, batch.row_ids):
                missing = Delivery(row.recipient, "retry", error="no result from platform")
                delivery = by_recipient.get(row.recipient.lower(), missing)
                self._apply(row, delivery, now, keep_batch=keep_batch)
            await session.flush()

    def _apply(
        self, row: OutboxMessage, delivery: Delivery, now: datetime, *, keep_batch: bool
    ) -> None:
        row.lease_until = None
        if delivery.status == "sent":
            row.status, row.sent_at, row.last_error = OutboxStatus.SENT, now, None
            row.platform_msgid, row.response_code = delivery.msgid, delivery.response_code
        elif delivery.status == "failed" or row.attempts >= self.policy.max_attempts:
            reason = delivery.error or "failed"
            if delivery.status != "failed":
                reason = f"gave up after {row.attempts} attempts: {reason}"
            row.status, row.last_error = OutboxStatus.FAILED, reason[:500]
            log.warning("outbox row %s failed permanently: %s", row.id, reason)
        else:
            delay = (
                timedelta(seconds=delivery.retry_after)
                if delivery.retry_after is not None
                else self.policy.delay(row.attempts, self._rng)
            )
            row.status, row.next_attempt_at = OutboxStatus.RETRYING, now + delay
            row.last_error = (delivery.error or "retry")[:500]
            if not keep_batch:
                row.batch_id = None


def _batch(rows: Sequence[OutboxMessage]) -> Batch:
    """Rows of one batch share content; a new batch gets an id that survives retries."""
    batch_id = rows[0].batch_id or uuid.uuid4().hex
    for row in rows:
        row.batch_id = batch_id
    return Batch(
        channel=rows[0].channel,
        batch_id=batch_id,
        row_ids=[row.id or 0 for row in rows],
        recipients=[row.recipient for row in rows],
        message=Outbound.from_payload(outbox.payload_of(rows[0])),
    )
