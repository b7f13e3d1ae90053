"""SQLite under the async engine without a thread per connection (URL `sqlite+inline://`).

aiosqlite runs every call on its own thread and wakes the event loop for each result. A
statement on our small database takes microseconds, so that hop (two thread switches, a
self-pipe write and a loop iteration per call) cost more CPU than the SQL itself: about a third
of a webhook request. This adapter runs the sqlite3 calls inline, behind the async DBAPI shape
SQLAlchemy's aiosqlite dialect already speaks, so the dialect's SQLite behaviour is reused as is.

The calls that can wait long are kept off the loop. Taking the write lock (`BEGIN IMMEDIATE`)
while another process writes: the busy timeout is kept short and the wait is an `asyncio.sleep`
loop. WAL checkpoints (which fsync the database file): automatic checkpoints are off on these
connections and a worker thread runs a passive checkpoint every CHECKPOINT_EVERY commits.
The price: a long query holds the loop for its duration, where aiosqlite would have let
unrelated requests run (with one pooled connection they queued for it anyway). So long
read-only work (a school-wide evaluation over 100k rows) goes to the reader
(storage/reading.py), whose connection of this same driver lives on a loop in a thread of its
own: sqlite3 releases the GIL inside each step, and WAL lets it read while the service writes.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Iterable
from contextlib import closing
from types import SimpleNamespace
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util.concurrency import await_

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 500  # commits; SQLite's own default is about every 1000 WAL pages
BUSY_TIMEOUT_MS = 5  # one attempt; inside our own write transaction nothing waits on others
LOCK_WAIT_SECONDS = 60.0  # how long BEGIN IMMEDIATE keeps trying before it gives up


class InlineCursor:
    """The awaitable cursor interface of aiosqlite over a plain sqlite3 cursor."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = None) -> InlineCursor:
        if sql.startswith("BEGIN IMMEDIATE"):
            await _take_write_lock(self._cursor, sql)
        elif parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, rows: Iterable[Any]) -> InlineCursor:
        self._cursor.executemany(sql, rows)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


async def _take_write_lock(cursor: sqlite3.Cursor, sql: str) -> None:
    """Retry BEGIN IMMEDIATE while another connection writes, yielding to the loop between."""
    deadline, pause = time.monotonic() + LOCK_WAIT_SECONDS, 0.001
    while True:
        try:
            cursor.execute(sql)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.05)


class InlineConnection:
    """The awaitable connection interface of aiosqlite over a plain sqlite3 connection."""

    def __init__(self, connection: sqlite3.Connection, database: str) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection
        self._database, self._commits = database, 0

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def commit(self) -> None:
        self._conn.commit()
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY == 0:
            _checkpoint_soon(self._database)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._conn.isolation_level = value  # type: ignore[assignment]


async def connect(database: str, **kwargs: Any) -> InlineConnection:
    # The pool may hand the connection to any task, but always on the loop's own thread.
    kwargs["check_same_thread"] = False
    connection = sqlite3.connect(database, **kwargs)
    if database != ":memory:":
        connection.execute("PRAGMA wal_autocheckpoint=0")
    return InlineConnection(connection, database)


_checkpoints: dict[str, asyncio.Future[None]] = {}


def _checkpoint_soon(database: str) -> None:
    """A passive checkpoint on a thread (it never blocks writers); one at a time per file."""
    running = _checkpoints.get(database)
    if database == ":memory:" or (running is not None and not running.done()):
        return
    _checkpoints[database] = asyncio.get_running_loop().run_in_executor(None, _checkpoint, database)


def _checkpoint(database: str) -> None:
    try:
        with closing(sqlite3.connect(database, timeout=1)) as connection:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error as exc:  # the next one will try again
        log.warning("sqlite checkpoint failed: %s", exc)


_MODULE = SimpleNamespace(
    connect=connect,
    Connection=SimpleNamespace(stop=InlineConnection.stop),
    **{
        name: getattr(sqlite3, name)
        for name in (
            "DatabaseError",
            "Error",
            "IntegrityError",
            "NotSupportedError",
            "OperationalError",
            "ProgrammingError",
            "sqlite_version",
            "sqlite_version_info",
        )
    },
)


class _InlineAdaptedConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level  # type: ignore[no-any-return]

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._connection.isolation_level = value


class _InlineDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *args: Any, **kwargs: Any) -> _InlineAdaptedConnection:
        kwargs.pop("async_creator_fn", None)
        connection = await_(connect(*args, **kwargs))
        return _InlineAdaptedConnection(self, connection)  # type: ignore[arg-type]


class SQLiteDialect_inline(SQLiteDialect_aiosqlite):
    driver = "inline"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> _InlineDBAPI:
        return _InlineDBAPI(_MODULE, sqlite3)  # type: ignore[arg-type]


def register() -> None:
    """Make `sqlite+inline://` known to create_async_engine (idempotent)."""
    registry.register("sqlite.inline", __name__, "SQLiteDialect_inline")
