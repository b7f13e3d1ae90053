"""Group commit for inbound messages: messages that arrive together share one transaction.

Each callback used to pay for its own BEGIN, sender lookup, dedupe insert, outbox insert and
COMMIT, and through the ORM that was most of a request's CPU. A worker takes what is waiting
and hands the batch to the dispatcher, which does each of those steps once for all of them and
runs the handlers one after another in arrival order. Two batches never hold the same sender at
once, so a person's messages stay in order. asyncio has no batching queue that keeps per-key
order, hence this small one.

`linger`: a worker lets the event loop turn that many times before it takes a batch. A batch
runs without yielding (SQLite is inline), so the callbacks that arrive meanwhile are still
being read and decrypted when it ends; taken at once, the next batch held the one or two that
had got as far as `submit` (two batches in five under load held one to five). Two turns let
them catch up: batches doubled and each message's share of a transaction's fixed cost halved
(bench/webhook.py). A lone message waits two idle turns, microseconds: nothing waits for
company by the clock.

`expecting`: where the caller knows more items are on their way (the outbox sender, while
sends of its round are still in flight), the worker also waits for them, until the batch is
full or `expect_seconds` have passed. A drain of distinct replies, four sends at a time,
otherwise recorded its results two rows per transaction, and those writes were more than half
of the sender's CPU. When nothing else is in flight (a lone reply) nothing waits.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

LINGER_TURNS = 2
"""The `linger` of the inbound batches and the outbox's result writes."""

T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True)
class Job(Generic[T, R]):
    item: T
    key: Hashable
    result: asyncio.Future[R]


@dataclass(slots=True)
class Batcher(Generic[T, R]):
    """Runs `handle` on batches of submitted items, at most `workers` batches at once; items
    with one key are handled in submission order, never by two batches at the same time."""

    handle: Callable[[list[T]], Awaitable[list[R]]]
    workers: int = 1
    max_size: int = 64
    linger: int = 0
    """Event-loop turns a worker yields before taking a batch (see the module docstring)."""
    expecting: Callable[[], bool] | None = None
    """True while more items are on their way: the worker waits for them (module docstring)."""
    expect_seconds: float = 0.02
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _waiting: deque[Job[T, R]] = field(default_factory=deque)
    _busy_keys: set[Hashable] = field(default_factory=set)
    _running: set[asyncio.Task[None]] = field(default_factory=set)

    async def submit(self, item: T, *, key: Hashable) -> R:
        """The item's result; if the caller is cancelled the item is still handled."""
        job: Job[T, R] = Job(item, key, asyncio.get_running_loop().create_future())
        self._waiting.append(job)
        self._arrived.set()
        self._wake()
        return await asyncio.shield(job.result)

    def _wake(self) -> None:
        if len(self._running) < self.workers and self._waiting:
            task = asyncio.create_task(self._work())
            self._running.add(task)
            task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        """A worker that ended abnormally (cancelled, a bug) must not strand what waits."""
        self._running.discard(task)
        self._wake()

    def _retire(self) -> None:
        """The worker leaves `_running` in the same loop turn as its last `_take` came back
        empty: a done-callback runs a turn later, and a job submitted in between would see
        every worker seat taken and start nobody."""
        task = asyncio.current_task()
        if task is not None:
            self._running.discard(task)

    def _take(self) -> list[Job[T, R]]:
        """Waiting jobs, oldest first, skipping keys another batch holds; a skipped key's
        later jobs wait too, so nothing of one key overtakes another."""
        batch: list[Job[T, R]] = []
        blocked: set[Hashable] = set()
        for job in list(self._waiting):
            if len(batch) >= self.max_size:
                break
            if job.key in self._busy_keys or job.key in blocked:
                blocked.add(job.key)
                continue
            batch.append(job)
            self._waiting.remove(job)
        return batch

    async def _work(self) -> None:
        try:
            while batch := await self._gathered():
                keys = {job.key for job in batch}
                self._busy_keys |= keys
                try:
                    await self._run(batch)
                finally:
                    self._busy_keys -= keys
                    self._wake()
        finally:
            self._retire()

    async def _gathered(self) -> list[Job[T, R]]:
        """The next batch, after `linger` turns of the loop; `_take` and the caller's retiring
        happen with no await between them (see `_retire`)."""
        for _ in range(self.linger):
            await asyncio.sleep(0)
        if self.expecting is not None and self._waiting:
            await self._expected(self.expecting)
        return self._take()

    async def _expected(self, expecting: Callable[[], bool]) -> None:
        """Wait while more items are on their way, until a batch is full or time is up."""
        deadline = asyncio.get_running_loop().time() + self.expect_seconds
        while len(self._waiting) < self.max_size and expecting():
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return
            self._arrived.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)

    async def _run(self, batch: list[Job[T, R]]) -> None:
        try:
            results = await self.handle([job.item for job in batch])
        except Exception as exc:  # handle() answers every item itself; this is a bug guard
            log.exception("a batch of %d failed", len(batch))
            for job in batch:
                if not job.result.done():
                    job.result.set_exception(exc)
            return
        for job, result in zip(batch, results, strict=True):
            if not job.result.done():
                job.result.set_result(result)
