"""Key rotation: every encrypted value re-encrypted under the current data key, batch by batch.

The engine is bound to the current and the previous key (storage.db.make_engine). Each table
with EncryptedText columns (from the models' metadata) is walked in primary-key order, one
transaction per batch; a token is rotated as stored (MultiFernet.rotate on the raw column), so
no value passes through the ORM. A token already under the current key is left alone: a run
interrupted anywhere and started again finishes the job. The key check's canary is rewritten
last, so until a run completes the previous key is still needed and still accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Table, Text, and_, or_, select
from sqlalchemy import column as lightweight_column
from sqlalchemy import table as lightweight_table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.expression import TableClause

from storage.crypto import DecryptionError, rotate
from storage.keycheck import encrypted_columns

BATCH_SIZE = 500


@dataclass(slots=True)
class TableRotation:
    """What one table's walk did: tokens rotated, already current, readable by neither key."""

    table: str
    rotated: int = 0
    current: int = 0
    unreadable: int = 0
    batches: int = 0


@dataclass(slots=True)
class Rotation:
    tables: list[TableRotation] = field(default_factory=list)

    @property
    def rotated(self) -> int:
        return sum(t.rotated for t in self.tables)

    @property
    def current(self) -> int:
        return sum(t.current for t in self.tables)

    @property
    def unreadable(self) -> int:
        return sum(t.unreadable for t in self.tables)

    def detail(self) -> str:
        """The counts for the audit log (no values, no keys)."""
        return (
            f"rotated={self.rotated} current={self.current} unreadable={self.unreadable} "
            f"tables={len(self.tables)}"
        )


AfterBatch = Callable[[TableRotation], None]
"""Called after each committed batch (progress; a test raises here to interrupt the run)."""


def encrypted_tables() -> list[tuple[Table, list[str]]]:
    """Each table with encrypted columns, and those columns' names."""
    found: dict[str, tuple[Table, list[str]]] = {}
    for column in encrypted_columns():
        table = column.table
        assert isinstance(table, Table)
        found.setdefault(table.name, (table, []))[1].append(column.name)
    return list(found.values())


async def rotate_all(
    engine: AsyncEngine, *, batch_size: int = BATCH_SIZE, after_batch: AfterBatch | None = None
) -> Rotation:
    """Rotate every encrypted value of the database under the engine's current key."""
    rotation = Rotation()
    for table, names in encrypted_tables():
        progress = TableRotation(table.name)
        rotation.tables.append(progress)
        await _rotate_table(engine, table, names, progress, batch_size, after_batch)
    return rotation


async def _rotate_table(
    engine: AsyncEngine,
    table: Table,
    names: list[str],
    progress: TableRotation,
    batch_size: int,
    after_batch: AfterBatch | None,
) -> None:
    raw = _raw(table, names)
    keys = [raw.c[c.name] for c in table.primary_key.columns]
    last: Sequence[Any] | None = None
    while True:
        async with engine.begin() as connection:
            rows = await _batch(connection, raw, keys, names, last, batch_size)
            if not rows:
                return
            for row in rows:
                await _rotate_row(connection, raw, keys, names, row, progress)
        progress.batches += 1
        last = rows[-1][: len(keys)]
        if after_batch is not None:
            after_batch(progress)


async def _batch(
    connection: AsyncConnection,
    raw: TableClause,
    keys: Sequence[ColumnElement[Any]],
    names: list[str],
    last: Sequence[Any] | None,
    batch_size: int,
) -> list[Any]:
    query = select(*keys, *(raw.c[name] for name in names)).order_by(*keys).limit(batch_size)
    if last is not None:
        query = query.where(_after(keys, last))
    # FOR UPDATE (PostgreSQL): a row the service changes meanwhile is not overwritten with its
    # older value; SQLite's write lock (BEGIN IMMEDIATE) does the same there.
    return list(await connection.execute(query.with_for_update()))


def _after(keys: Sequence[ColumnElement[Any]], last: Sequence[Any]) -> ColumnElement[bool]:
    """Rows after `last` in primary-key order (a composite key compared column by column)."""
    terms = []
    for i, key in enumerate(keys):
        equal = [keys[j] == last[j] for j in range(i)]
        terms.append(and_(*equal, key > last[i]))
    return or_(*terms)


async def _rotate_row(
    connection: AsyncConnection,
    raw: TableClause,
    keys: Sequence[ColumnElement[Any]],
    names: list[str],
    row: Any,
    progress: TableRotation,
) -> None:
    changes: dict[str, str] = {}
    for i, name in enumerate(names, start=len(keys)):
        token = row[i]
        if token is None:
            continue
        try:
            rotated = rotate(connection.dialect, token)
        except DecryptionError:
            progress.unreadable += 1
            continue
        if rotated is None:
            progress.current += 1
        else:
            changes[name] = rotated
            progress.rotated += 1
    if changes:
        where = and_(*(key == row[i] for i, key in enumerate(keys)))
        await connection.execute(raw.update().where(where).values(changes))


def _raw(table: Table, names: list[str]) -> TableClause:
    """The table with its encrypted columns as plain text: tokens read and written as stored."""
    columns = [
        lightweight_column(c.name, Text() if c.name in names else c.type)
        for c in table.columns
        if c.primary_key or c.name in names
    ]
    return lightweight_table(table.name, *columns, schema=table.schema)
