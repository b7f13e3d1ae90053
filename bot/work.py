"""The runner of work requests (storage/work.py): claims the oldest one, does it in a fresh
transaction with the reader (handlers/errands.py), tells the requester, and marks it done in
that same transaction; woken when a message stores a request, and polling for ones left by a
process that died (their lease runs out).

A failed attempt is logged (the kind and id only) and retried after a pause; after
MAX_ATTEMPTS the request is marked failed and the requester hears so."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.background import in_background, woken
from bot.clock import Clock
from handlers import errands
from handlers.context import Context, HandlerConfig
from handlers.delivery import send_to_people
from handlers.envelopes import Outbound
from storage import work
from storage.db import session_scope
from storage.reading import Reader

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(minutes=1)


@dataclass
class WorkRunner:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    config: HandlerConfig
    reader: Reader | None
    on_queued: Callable[[], None] = lambda: None
    """Called after a request's answer was queued: the outbox sends it now."""
    lease: timedelta = timedelta(minutes=5)
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _busy: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    def wake(self) -> None:
        self._wake.set()

    async def drain(self) -> int:
        """Do every request that may be claimed now; how many were attempted. Waits for the
        one this process is doing, so that afterwards nothing of ours is half done."""
        done = 0
        async with self._busy:
            while await self._run_one():
                done += 1
        return done

    async def _run_one(self) -> bool:
        now = self.clock.now()
        async with session_scope(self.sessions) as session:
            claimed = await work.claim(session, now=now, lease=self.lease)
        if claimed is None:
            return False
        try:
            await self._do(claimed)
        except Exception:
            log.exception("work request %d (%s) failed", claimed.id, claimed.kind)
            await self._after_failure(claimed)
        self.on_queued()
        return True

    async def _do(self, claimed: work.Claimed) -> None:
        errand = errands.ERRANDS[claimed.kind]
        async with session_scope(self.sessions) as session:
            rounds = partial(session_scope, self.sessions)
            ctx = Context(session, self.clock.now(), self.config, self.reader, rounds)
            replies = await errand(ctx, claimed.args, claimed.requested_by)
            await _tell(ctx, claimed, replies)
            await work.finish(session, claimed.id, failed=False, now=ctx.now)

    async def _after_failure(self, claimed: work.Claimed) -> None:
        async with session_scope(self.sessions) as session:
            now = self.clock.now()
            if claimed.attempts < MAX_ATTEMPTS:
                await work.release(session, claimed.id, retry_at=now + RETRY_AFTER)
                return
            ctx = Context(session, now, self.config)
            await _tell(ctx, claimed, [errands.failed(claimed.kind)])
            await work.finish(session, claimed.id, failed=True, now=now)

    @asynccontextmanager
    async def running(self, *, poll: float = 30.0) -> AsyncIterator[None]:
        """Do requests in the background while the context is open (left ones at once)."""
        self._wake.set()
        async with in_background(woken(self._wake, poll, self.drain, "a round of work requests")):
            yield


async def _tell(ctx: Context, claimed: work.Claimed, replies: list[Outbound]) -> None:
    if claimed.requested_by is None:
        return
    for index, reply in enumerate(replies):
        key = f"work:{claimed.id}:{index}"
        await send_to_people(ctx, person_ids=[claimed.requested_by], message=reply, key=key)
