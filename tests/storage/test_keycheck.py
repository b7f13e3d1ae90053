"""The data key check: a canary decides, and before there is one the data already stored."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.crypto import new_key
from storage.db import make_engine, make_sessionmaker, session_scope
from storage.keycheck import DataKeyError, KeyState, check_key, record_key, require_key
from storage.models import KeyCheck, PendingInbound
from tests.fakes.clock import FakeClock

OTHER_KEY = new_key()


@pytest.fixture
async def other(engine: AsyncEngine, database_url: str) -> AsyncIterator[AsyncSession]:
    """A session on the same database holding another data key."""
    stranger = make_engine(database_url, data_key=OTHER_KEY, sqlite_immediate=False)
    async with make_sessionmaker(stranger)() as session:
        yield session
    await stranger.dispose()


async def _record(engine: AsyncEngine) -> None:
    async with session_scope(make_sessionmaker(engine)) as session:
        await record_key(session)


async def test_a_database_with_nothing_encrypted_is_fresh_for_any_key(
    session: AsyncSession, other: AsyncSession
) -> None:
    assert await check_key(session) is KeyState.FRESH
    assert await check_key(other) is KeyState.FRESH


async def test_the_recorded_key_matches_and_another_key_does_not(
    engine: AsyncEngine, session: AsyncSession, other: AsyncSession
) -> None:
    await _record(engine)

    assert await check_key(session) is KeyState.MATCHES
    assert await check_key(other) is KeyState.MISMATCH


async def test_recording_twice_keeps_one_canary(engine: AsyncEngine, session: AsyncSession) -> None:
    await _record(engine)
    await _record(engine)

    count = (await session.exec(select(func.count()).select_from(KeyCheck))).one()
    assert count == 1


async def test_without_a_canary_the_stored_data_decides(
    engine: AsyncEngine, session: AsyncSession, other: AsyncSession, clock: FakeClock
) -> None:
    async with session_scope(make_sessionmaker(engine)) as writer:
        writer.add(
            PendingInbound(channel="wecom", dedupe_key="m1", payload="{}", received_at=clock.now())
        )

    assert await check_key(session) is KeyState.MATCHES
    assert await check_key(other) is KeyState.MISMATCH


async def test_a_database_without_the_key_check_table_is_not_migrated(
    engine: AsyncEngine, session: AsyncSession
) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("DROP TABLE key_check"))

    assert await check_key(session) is KeyState.NOT_MIGRATED


async def test_require_key_refuses_a_wrong_key_and_an_unmigrated_database(
    engine: AsyncEngine, session: AsyncSession, other: AsyncSession
) -> None:
    await _record(engine)
    assert await require_key(session) is KeyState.MATCHES
    with pytest.raises(DataKeyError) as wrong:
        await require_key(other)
    await session.rollback()
    await other.rollback()  # PostgreSQL: no open transaction may hold the table
    async with engine.begin() as connection:
        await connection.execute(text("DROP TABLE key_check"))
    with pytest.raises(DataKeyError) as unmigrated:
        await require_key(session)

    assert wrong.value.state is KeyState.MISMATCH and "CAREBOT_DATA_KEY" in str(wrong.value)
    assert unmigrated.value.state is KeyState.NOT_MIGRATED
    assert "carebot db upgrade" in str(unmigrated.value)
