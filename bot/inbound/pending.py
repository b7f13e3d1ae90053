"""Accepted means durable: a message is in the database before the platform hears 200
without the answer, and one that was never handled is handled after a restart, exactly once.

The common case costs nothing: a message whose handling commits before the response leaves is
durable already (its dedupe record and its effects commit together). Only when a platform's
response must leave first (WeCom's 5 s) is a copy stored, and dropped again once the handling
commits. The sweep hands leftover copies to the dispatcher, whose dedupe record makes a
message that was handled meanwhile a no-op.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.background import in_background
from bot.clock import Clock
from handlers.envelopes import Inbound
from storage.db import session_scope
from storage.messaging import pending

log = logging.getLogger(__name__)

Dispatch = Callable[[Inbound], Awaitable[Any]]


@dataclass(slots=True)
class Safekeeping:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    _releases: set[asyncio.Future[None]] = field(default_factory=set)

    async def hold(self, inbound: Inbound, handling: asyncio.Future[Any]) -> None:
        """Store a copy unless the handling already committed; drop it once it does."""
        if handling.done() and not handling.cancelled() and handling.exception() is None:
            return
        async with session_scope(self.sessions) as session:
            await pending.hold(
                session,
                channel=inbound.channel,
                dedupe_key=inbound.message_id,
                payload=inbound.to_payload(),
                at=self.clock.now(),
            )
        release = asyncio.ensure_future(self._release_after(inbound, handling))
        self._releases.add(release)
        release.add_done_callback(self._releases.discard)

    async def _release_after(self, inbound: Inbound, handling: asyncio.Future[Any]) -> None:
        with suppress(Exception, asyncio.CancelledError):
            await asyncio.shield(handling)
        if handling.cancelled() or handling.exception() is not None:
            return  # not handled: the copy stays for the sweep
        try:
            await self._release(inbound.channel, [inbound.message_id])
        except Exception as exc:  # the sweep finds it handled and drops it then
            log.warning("could not drop a handled message's copy: %s", type(exc).__name__)

    async def _release(self, channel: str, keys: list[str]) -> None:
        async with session_scope(self.sessions) as session:
            await pending.release(session, channel=channel, dedupe_keys=keys)

    async def recover(self, dispatch: Dispatch, *, older_than: timedelta = timedelta(0)) -> int:
        """Hand every copy received before `older_than` ago to `dispatch`; how many."""
        async with session_scope(self.sessions) as session:
            rows = await pending.held(session, received_before=self.clock.now() - older_than)
        inbounds = [Inbound.from_payload(row.payload) for row in rows]
        results = await asyncio.gather(*(dispatch(i) for i in inbounds), return_exceptions=True)
        for inbound, result in zip(inbounds, results, strict=True):
            if isinstance(result, BaseException):
                log.error("a stored message failed again: %s", type(result).__name__)
                continue
            await self._release(inbound.channel, [inbound.message_id])
        if rows:
            log.info("handled %d stored message(s) accepted but not handled", len(rows))
        return len(rows)

    @asynccontextmanager
    async def sweeping(self, dispatch: Dispatch, *, poll: float = 30.0) -> AsyncIterator[None]:
        """Recover at once, then every `poll` seconds what has waited longer than `poll`."""
        await self.recover(dispatch)
        async with in_background(self._loop(dispatch, poll)):
            yield

    async def _loop(self, dispatch: Dispatch, poll: float) -> None:
        while True:
            await asyncio.sleep(poll)
            try:
                await self.recover(dispatch, older_than=timedelta(seconds=poll))
            except Exception as exc:
                log.error("stored-message sweep failed: %s", type(exc).__name__)

    async def drain(self) -> None:
        """Wait for pending drops (graceful shutdown, tests)."""
        while self._releases:
            await asyncio.gather(*list(self._releases), return_exceptions=True)
