"""Background work: a coroutine that runs while a context is open and is cancelled when it
closes, and the loop of a worker woken by an event or at each poll."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any


@asynccontextmanager
async def in_background(work: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    task = asyncio.create_task(work)
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def woken(
    wake: asyncio.Event, poll: float, work: Callable[[], Awaitable[Any]], what: str
) -> None:
    """Run `work` whenever `wake` is set, and at least every `poll` seconds, until cancelled;
    a failing round is logged (as `what`) and the next one tried."""
    while True:
        # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancellation that
        # arrives with the wake-up, and the loop would never stop.
        with suppress(TimeoutError):
            async with asyncio.timeout(poll):
                await wake.wait()
        wake.clear()
        try:
            await work()
        except Exception:
            logging.getLogger(__name__).exception("%s failed; will retry", what)
