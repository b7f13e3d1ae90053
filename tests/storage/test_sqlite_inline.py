"""The inline SQLite driver: plain sqlite:// URLs use it, and waiting for the write lock
yields to the event loop instead of blocking it."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from storage import sqlite_inline
from storage.crypto import new_key
from storage.db import make_engine, make_sessionmaker, session_scope


async def test_plain_sqlite_urls_run_inline_and_aiosqlite_stays_available(tmp_path: Path) -> None:
    inline = make_engine(f"sqlite:///{tmp_path / 'a.db'}", data_key=new_key())
    threaded = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", data_key=new_key())
    try:
        assert inline.dialect.driver == "inline"
        assert threaded.dialect.driver == "aiosqlite"
        for engine in (inline, threaded):
            async with engine.begin() as connection:
                assert (await connection.execute(text("select 40 + 2"))).scalar_one() == 42
    finally:
        await inline.dispose()
        await threaded.dispose()


async def test_waiting_for_the_write_lock_lets_other_tasks_run(tmp_path: Path) -> None:
    path = tmp_path / "lock.db"
    engine = make_engine(f"sqlite:///{path}", data_key=new_key())
    async with engine.begin() as connection:
        await connection.execute(text("create table t (x integer)"))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process is writing
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    async def write() -> None:
        async with session_scope(make_sessionmaker(engine)) as session:
            await session.exec(text("insert into t values (1)"))  # type: ignore[call-overload]

    running = asyncio.create_task(ticker())
    writing = asyncio.create_task(write())
    await asyncio.sleep(0.2)
    assert not writing.done()  # still waiting for the lock ...
    assert ticks >= 10  # ... while the loop keeps serving others
    other.execute("COMMIT")
    await asyncio.wait_for(writing, timeout=5)
    running.cancel()
    assert other.execute("select count(*) from t").fetchone() == (1,)
    other.close()
    await engine.dispose()


async def test_a_lock_never_released_fails_after_the_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_inline, "LOCK_WAIT_SECONDS", 0.1)
    path = tmp_path / "stuck.db"
    engine = make_engine(f"sqlite:///{path}", data_key=new_key())
    async with engine.begin() as connection:
        await connection.execute(text("select 1"))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(Exception, match="locked"):
        async with engine.begin() as connection:
            await connection.execute(text("select 1"))
    other.execute("ROLLBACK")
    other.close()
    await engine.dispose()
