"""Leadership for singleton processes (the clock): a PostgreSQL session advisory lock, or an
exclusive lock file beside a SQLite database."""

from __future__ import annotations

import fcntl
import os
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine


def lock_id(name: str) -> int:
    """A stable 32-bit id for an advisory lock name."""
    return zlib.crc32(name.encode("utf-8"))


@asynccontextmanager
async def leadership(engine: AsyncEngine, name: str) -> AsyncIterator[bool]:
    """Yields True while this process holds the named lock, False if another one does."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            query = text("SELECT pg_try_advisory_lock(:id)")
            held = bool((await connection.execute(query, {"id": lock_id(name)})).scalar())
            try:
                yield held
            finally:
                if held:
                    unlock = text("SELECT pg_advisory_unlock(:id)")
                    await connection.execute(unlock, {"id": lock_id(name)})
        return
    database = make_url(str(engine.url)).database or ":memory:"
    path = Path(f"{database}.{name}.lock") if database != ":memory:" else None
    if path is None:
        yield True
        return
    with _file_lock(path) as held:
        yield held


@contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
