"""Engine and session factories; nothing is created at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import sqlite_inline
from storage.crypto import bind_cipher

# Set when the connection starts (asyncpg): a SET in its first transaction would be undone by
# the pool's rollback. Repeatable read gives a read one snapshot for all its statements, as
# SQLite's WAL does.
READ_ONLY_POSTGRESQL = {
    "default_transaction_read_only": "on",
    "default_transaction_isolation": "repeatable read",
}


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def async_url(url: str) -> URL:
    """Plain `sqlite://` runs on the inline driver (see storage/sqlite_inline.py);
    `sqlite+aiosqlite://` keeps aiosqlite's thread."""
    parsed = make_url(url)
    if parsed.drivername == "sqlite":
        sqlite_inline.register()
        return parsed.set(drivername="sqlite+inline")
    return parsed


def _sqlite_pragmas(
    dbapi_connection: Any, _record: Any, *, busy_ms: int, read_only: bool = False
) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    if read_only:
        cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    """BEGIN IMMEDIATE: take the write lock up front, so two writers never both read the same
    rows and then collide (SQLITE_BUSY_SNAPSHOT), and SAVEPOINTs work as documented."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_begin_deferred(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(
    url: str,
    *,
    data_key: str,
    previous_key: str | None = None,
    echo: bool = False,
    sqlite_immediate: bool = True,
    read_only: bool = False,
) -> AsyncEngine:
    """An async engine with the field cipher bound; SQLite gets WAL and foreign keys.

    `sqlite_immediate=False` is for read-mostly tooling (tests inspecting the database) that
    must not hold SQLite's write lock while the service under test works. `read_only=True`
    (storage/reading.py) refuses every write on its connections and never takes the lock.
    `previous_key` (during a key rotation) still decrypts; writes use `data_key`."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # One connection: SQLite has one writer anyway, and queueing in asyncio is far cheaper
        # than many connections spinning on the busy handler for the write lock.
        engine = create_async_engine(
            async_url(url),
            echo=echo,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            hide_parameters=True,  # errors and echo never carry what people wrote
        )
        # The inline driver waits for the write lock itself; a reader, on its own thread, may
        # block in SQLite's busy handler in the rare moments WAL readers wait.
        inline = engine.dialect.driver == "inline" and not read_only
        busy_ms = sqlite_inline.BUSY_TIMEOUT_MS if inline else 5000
        pragmas = partial(_sqlite_pragmas, busy_ms=busy_ms, read_only=read_only)
        event.listen(engine.sync_engine, "connect", pragmas)
        immediate = sqlite_immediate and not read_only
        begin = _sqlite_begin_immediate if immediate else _sqlite_begin_deferred
        event.listen(engine.sync_engine, "begin", begin)
    else:
        engine = create_async_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            hide_parameters=True,
            connect_args={"server_settings": READ_ONLY_POSTGRESQL} if read_only else {},
        )
    bind_cipher(engine.sync_engine.dialect, data_key, previous=previous_key)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits on success and rolls back on error."""
    async with factory() as session, session.begin():
        yield session
