"""Key rotation (storage/rotation.py): every encrypted value moves to the new key, an
interrupted run finishes when run again, and the old key alone no longer reads anything."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.crypto import DecryptionError, new_key
from storage.db import make_engine, make_sessionmaker, session_scope
from storage.keycheck import KeyState, check_key, record_key, rewrite_key
from storage.rotation import TableRotation, encrypted_tables, rotate_all
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.storage.test_crypto import _one_of_each

NEW_KEY = new_key()
Values = dict[tuple[str, str, tuple[Any, ...]], str]


class Interrupted(Exception):
    """The failure a test injects after some batch."""


async def _values(url: str, *, key: str, previous: str | None = None) -> Values:
    """Every non-null encrypted value of the database, decrypted (DecryptionError if one
    does not decrypt with these keys)."""
    engine = make_engine(url, data_key=key, previous_key=previous, sqlite_immediate=False)
    found: Values = {}
    try:
        async with engine.connect() as connection:
            for table, names in encrypted_tables():
                keys = list(table.primary_key.columns)
                rows = await connection.execute(select(*keys, *(table.c[n] for n in names)))
                for row in rows:
                    for i, name in enumerate(names, start=len(keys)):
                        if row[i] is not None:
                            found[(table.name, name, tuple(row[: len(keys)]))] = row[i]
    finally:
        await engine.dispose()
    return found


async def _key_state(url: str, *, key: str, previous: str | None = None) -> KeyState:
    engine = make_engine(url, data_key=key, previous_key=previous, sqlite_immediate=False)
    try:
        async with make_sessionmaker(engine)() as session:
            return await check_key(session)
    finally:
        await engine.dispose()


@pytest.fixture
async def populated(
    engine: AsyncEngine, session: AsyncSession, clock: FakeClock, database_url: str
) -> Values:
    """A row in every table with encrypted columns (a few students more), under DATA_KEY."""
    await _one_of_each(session, clock)
    async with session_scope(make_sessionmaker(engine)) as scope:
        await record_key(scope)
    return await _values(database_url, key=DATA_KEY)


async def _rotate(url: str, **options: Any) -> Any:
    engine = make_engine(url, data_key=NEW_KEY, previous_key=DATA_KEY)
    try:
        rotation = await rotate_all(engine, **options)
        async with session_scope(make_sessionmaker(engine)) as session:
            await rewrite_key(session)
        return rotation
    finally:
        await engine.dispose()


async def test_rotation_moves_every_value_to_the_new_key(
    populated: Values, database_url: str
) -> None:
    assert await _key_state(database_url, key=NEW_KEY, previous=DATA_KEY) is KeyState.MATCHES
    assert await _key_state(database_url, key=NEW_KEY) is KeyState.MISMATCH

    rotation = await _rotate(database_url)

    assert rotation.rotated == len(populated) >= 30 and rotation.current == 0
    assert {t.table for t in rotation.tables} == {name for name, _, _ in populated}
    assert await _values(database_url, key=NEW_KEY) == populated
    assert await _key_state(database_url, key=NEW_KEY) is KeyState.MATCHES
    assert await _key_state(database_url, key=DATA_KEY) is KeyState.MISMATCH
    with pytest.raises(DecryptionError):
        await _values(database_url, key=DATA_KEY)


@pytest.mark.parametrize("stop_after", [1, 6, 12])
async def test_an_interrupted_rotation_finishes_when_run_again(
    populated: Values, database_url: str, stop_after: int
) -> None:
    batches, rotated = 0, dict[str, int]()

    def interrupt(table: TableRotation) -> None:
        nonlocal batches
        batches += 1
        rotated[table.table] = table.rotated
        if batches == stop_after:
            raise Interrupted

    with pytest.raises(Interrupted):
        await _rotate(database_url, batch_size=1, after_batch=interrupt)

    # meanwhile the service (both keys) reads everything; the old key alone is still accepted
    assert await _values(database_url, key=NEW_KEY, previous=DATA_KEY) == populated
    assert await _key_state(database_url, key=DATA_KEY) is KeyState.MATCHES
    with pytest.raises(DecryptionError):
        await _values(database_url, key=NEW_KEY)

    again = await _rotate(database_url, batch_size=2)

    assert again.current == sum(rotated.values()) > 0
    assert again.rotated == len(populated) - again.current
    assert await _values(database_url, key=NEW_KEY) == populated
    assert await _key_state(database_url, key=DATA_KEY) is KeyState.MISMATCH
