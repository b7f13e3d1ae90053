"""Long read-only work (due evaluation, ledgers, statistics) off the event loop: a `Reader`.

Why a thread with its own event loop and engine: the inline SQLite driver (see
storage/sqlite_inline.py) runs every sqlite3 call on the loop that awaits it, and a
school-wide evaluation takes a second or more, during which callbacks and /healthz would wait.
On PostgreSQL the query itself does not block, but turning 100k rows into Python objects
does (measured with bench/event_loop.py). So `ThreadReader.read(work)` runs the coroutine
function `work(session)` on a loop in a thread of its own, with a session on a read-only
engine bound to that loop: SQLite in WAL mode lets it read while the service writes (sqlite3
releases the GIL inside each step), asyncpg connections there belong to that loop, and the
Python post-processing runs there too, yielding the GIL to the web loop every switch interval.

The contract for `work`: it gets its own session, sees what was committed when its first
query ran (one snapshot for the whole call), may not write (the connection refuses:
`PRAGMA query_only` on SQLite, read-only transactions on PostgreSQL), must not touch objects
of the calling loop (the caller's session, its engine, futures), and returns plain data.
Its exceptions are raised in the caller as they were raised; cancelling the caller cancels
the work at its next await (a statement already running finishes first). While reads run, the
garbage collector makes no full collections (see `no_full_collections`): one would stop the
web loop as surely as running the work there.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import make_engine, make_sessionmaker

T = TypeVar("T")
ReadWork = Callable[[AsyncSession], Awaitable[T]]


class Reader(Protocol):
    async def read(self, work: ReadWork[T]) -> T:
        """`work(session)` on a session of its own that sees committed data and never writes."""
        ...


class ThreadReader:
    """Read on a read-only engine owned by a loop running in a thread of its own."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine, self._sessions = engine, make_sessionmaker(engine)
        self._loop = asyncio.new_event_loop()
        # A daemon, so that a reader nobody closed cannot keep the process alive.
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="carebot-reader", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    async def read(self, work: ReadWork[T]) -> T:
        with no_full_collections():
            running = asyncio.run_coroutine_threadsafe(self._read(work), self._loop)
            return await asyncio.wrap_future(running)

    async def _read(self, work: ReadWork[T]) -> T:
        async with self._sessions() as session:
            return await work(session)

    async def close(self) -> None:
        """Cancel what still runs, close the connections on their loop, stop the thread."""
        if not self._thread.is_alive():
            return
        closing = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        await asyncio.wrap_future(closing)
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join)
        self._loop.close()

    async def _shutdown(self) -> None:
        mine = asyncio.current_task()
        others = [task for task in asyncio.all_tasks() if task is not mine]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        await self._engine.dispose()


FULL_COLLECTIONS_OFF = 2**30  # young collections between full ones: never, in practice
_reads = 0  # reads running, counted on the calling loop's thread (the only one that counts)
_thresholds = gc.get_threshold()


@contextmanager
def no_full_collections() -> Iterator[None]:
    """No full garbage collection while a read runs; young ones go on.

    A collection holds the GIL, so it stops the web loop too, for as long as it walks its
    generations: young ones walk a few thousand objects (well under a millisecond), a full
    one the whole heap, which a school-wide read swells to a few hundred thousand objects:
    70-180 ms each, several per evaluation (bench/event_loop.py). Disabling collection
    outright only moves the pause: the first young collection after it walked the 200k
    objects the read had built (over 200 ms). The full collection postponed here comes at
    the first chance after the read, as it would have; a caller that keeps what the read
    returned while it works on it (a school's digests) holds this for as long, so that the
    collection finds that work gone rather than walking it."""
    global _reads, _thresholds
    if _reads == 0:
        _thresholds = gc.get_threshold()
        gc.set_threshold(_thresholds[0], _thresholds[1], FULL_COLLECTIONS_OFF)
    _reads += 1
    try:
        yield
    finally:
        _reads -= 1
        if _reads == 0:
            gc.set_threshold(*_thresholds)


@asynccontextmanager
async def open_reader(
    url: str, *, data_key: str, previous_key: str | None = None
) -> AsyncIterator[Reader]:
    """A started reader for the database at `url`, closed on exit."""
    engine = make_engine(url, data_key=data_key, previous_key=previous_key, read_only=True)
    reader = ThreadReader(engine)
    reader.start()
    try:
        yield reader
    finally:
        await reader.close()
