"""Whether CAREBOT_DATA_KEY is the key this database's data is encrypted with."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Table, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.crypto import DecryptionError, EncryptedText, decrypt, encrypt
from storage.models import KeyCheck

CANARY = "carebot data key check"
TABLE = "key_check"


class KeyState(StrEnum):
    MATCHES = "matches"  # the canary (or, before there is one, existing data) decrypts
    FRESH = "fresh"  # no canary and nothing encrypted yet: any key may be the first
    MISMATCH = "mismatch"  # encrypted with another key: writing would mix two keys
    NOT_MIGRATED = "not_migrated"  # no key_check table: `carebot db upgrade` has not run


REFUSED = frozenset({KeyState.MISMATCH, KeyState.NOT_MIGRATED})


class DataKeyError(RuntimeError):
    """This process must not use the database: it is not migrated, or the key is wrong."""

    def __init__(self, state: KeyState) -> None:
        reasons = {
            KeyState.MISMATCH: "CAREBOT_DATA_KEY is not the key this database is encrypted with",
            KeyState.NOT_MIGRATED: "the database is not migrated; run `carebot db upgrade`",
        }
        super().__init__(reasons.get(state, state.value))
        self.state = state


async def check_key(session: AsyncSession) -> KeyState:
    """Compare the session's data key with the canary; a database from before the canary is
    compared with the first encrypted value found. Reads only."""
    connection = await session.connection()
    if not await connection.run_sync(lambda sync: inspect(sync).has_table(TABLE)):
        return KeyState.NOT_MIGRATED
    token = (await connection.execute(select(_table().c.canary).limit(1))).scalar()
    try:
        if token is not None:
            matches = decrypt(connection.dialect, token) == CANARY
            return KeyState.MATCHES if matches else KeyState.MISMATCH
        return await _stored_data(connection)
    except DecryptionError:
        return KeyState.MISMATCH


async def _stored_data(connection: AsyncConnection) -> KeyState:
    """Before the canary: the first encrypted value found decides (DecryptionError if not)."""
    for column in encrypted_columns():
        found = await connection.execute(select(column).where(column.is_not(None)).limit(1))
        if found.first() is not None:
            return KeyState.MATCHES
    return KeyState.FRESH


async def require_key(session: AsyncSession) -> KeyState:
    """check_key, raising DataKeyError for a database this process must not touch."""
    state = await check_key(session)
    if state in REFUSED:
        raise DataKeyError(state)
    return state


async def record_key(session: AsyncSession) -> None:
    """Store the canary under the session's key unless there is one (check the key first)."""
    connection = await session.connection()
    table = _table()
    if (await connection.execute(select(table.c.id).limit(1))).first() is None:
        await connection.execute(table.insert().values(canary=encrypt(connection.dialect, CANARY)))


async def rewrite_key(session: AsyncSession) -> None:
    """The canary under the session's current key: the last step of a key rotation, after
    which the previous key alone is refused."""
    connection = await session.connection()
    table = _table()
    await connection.execute(table.delete())
    await connection.execute(table.insert().values(canary=encrypt(connection.dialect, CANARY)))


def _table() -> Table:
    return KeyCheck.__table__  # type: ignore[attr-defined,no-any-return]


def encrypted_columns() -> Iterator[Column[Any]]:
    """Every EncryptedText column of every table, from the models' metadata."""
    for table in SQLModel.metadata.sorted_tables:
        yield from (c for c in table.columns if isinstance(c.type, EncryptedText))
