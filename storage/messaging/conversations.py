"""Conversation state: one row per person per channel; the draft is encrypted JSON.

Every message to an open form reads and writes this row, so these are Core statements on a
plain `Draft` (no ORM unit of work: its flush cost more than the form step itself). The
sender's identify query reads the draft in the same round trip (`DRAFT_COLUMNS`, `draft_of`).

Writes are deferred to the end of the transaction: `save`, `store`, `touch` and `drop` note
what the person's row becomes, and the session's writes go out as one executemany per kind of
statement just before it commits, or before this session next reads the table (`load`,
identify). A batch of messages shares one transaction (bot/inbound/dispatch.py); a statement
of its own per message cost 145 µs, a row of an executemany 38 µs. Only the last write of a
row counts (each says all the row becomes), so the order of the rows does not matter. A
rollback forgets them with the rest of the transaction; a savepoint rolled back does not (no
form step runs in one). SQLAlchemy's unit of work would defer and batch too, but through ORM
objects and their flush, the cost this module avoids."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Conversation

_TABLE = Conversation.__table__  # type: ignore[attr-defined]
_FIELDS = ("id", "person_id", "channel", "form", "step", "data", "updated_at")


@dataclass(slots=True)
class Draft:
    """A person's open form on one channel, as stored; `store` and `touch` update it.
    `id` is None for a draft this transaction opened and has not written yet."""

    id: int | None = field(compare=False)
    person_id: int
    channel: str
    form: str
    step: str
    data: str | None
    updated_at: datetime


DRAFT_COLUMNS: tuple[ColumnElement[Any], ...] = tuple(
    _TABLE.c[name].label(f"draft_{name}") for name in _FIELDS
)
"""What a query outer-joined to the person's conversation selects for `draft_of`."""


def draft_of(row: Sequence[Any], *, offset: int) -> Draft | None:
    """The draft from a row holding `DRAFT_COLUMNS` at `offset`; None when no form is open."""
    values = tuple(row[offset : offset + len(_FIELDS)])
    return None if values[0] is None else Draft(*values)


_MINE = and_(_TABLE.c.person_id == bindparam("person_id"), _TABLE.c.channel == bindparam("channel"))
_LOAD = select(*(_TABLE.c[name] for name in _FIELDS)).where(_MINE)
_DROP = delete(_TABLE).where(_MINE)
# An UPDATE may not bind a column's own name: its key comes under other names.
_ROW = and_(
    _TABLE.c.person_id == bindparam("row_person"), _TABLE.c.channel == bindparam("row_channel")
)
_STORE = (
    update(_TABLE)
    .where(_ROW)
    .values(step=bindparam("step"), data=bindparam("data"), updated_at=bindparam("at"))
)
_TOUCH = update(_TABLE).where(_ROW).values(updated_at=bindparam("at"))


@cache
def _upsert(dialect: str) -> Any:
    """Open a form over whatever the person had on this channel: one statement."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_TABLE)
    return statement.on_conflict_do_update(
        index_elements=["person_id", "channel"],
        set_={name: statement.excluded[name] for name in ("form", "step", "data", "updated_at")},
    )


Key = tuple[int, str]


@dataclass(slots=True)
class _Write:
    """What a person's row on a channel becomes when the session's writes go out: gone
    (`gone`), the whole row (`form` set: an upsert), or some columns of the row there."""

    at: datetime | None
    gone: bool = False
    form: str | None = None
    step: str | None = None
    data: str | None = None


_PENDING = "conversation_writes"
_CHANGED = "conversations_changed"


async def _pending(session: AsyncSession) -> dict[Key, _Write]:
    """The session's deferred writes, in a transaction begun now if none was (its end, by
    commit or rollback, is what writes or forgets them)."""
    await session.connection()
    pending: dict[Key, _Write] = session.info.setdefault(_PENDING, {})
    return pending


def changed(session: AsyncSession, *, person_id: int, channel: str) -> bool:
    """Whether this session saved or dropped the person's conversation (a batch of messages
    shares a session: a later message must not trust what was known before the first)."""
    return (person_id, channel) in session.info.get(_CHANGED, ())


def _mark(session: AsyncSession, person_id: int, channel: str) -> None:
    session.info.setdefault(_CHANGED, set()).add((person_id, channel))


async def load(session: AsyncSession, *, person_id: int, channel: str) -> Draft | None:
    await flush(session)
    connection = await session.connection()
    result = await connection.execute(_LOAD, {"person_id": person_id, "channel": channel})
    row = result.first()
    return None if row is None else Draft(*row)


def data_of(row: Draft) -> dict[str, Any]:
    data = json.loads(row.data or "{}")
    assert isinstance(data, dict)
    return data


async def save(
    session: AsyncSession,
    *,
    person_id: int,
    channel: str,
    form: str,
    step: str,
    data: dict[str, Any],
    now: datetime,
) -> Draft:
    """Open a form: a new draft, or one that replaces whatever the person had on this channel."""
    body = json.dumps(data, ensure_ascii=False)
    (await _pending(session))[person_id, channel] = _Write(now, form=form, step=step, data=body)
    _mark(session, person_id, channel)
    return Draft(None, person_id, channel, form, step, body, now)


async def store(
    session: AsyncSession, row: Draft, *, step: str, data: dict[str, Any], now: datetime
) -> None:
    """The new draft of a conversation already loaded (no second look-up)."""
    body = json.dumps(data, ensure_ascii=False)
    write = (await _pending(session)).setdefault((row.person_id, row.channel), _Write(now))
    if not write.gone:
        write.at, write.step, write.data = now, step, body
    row.step, row.data, row.updated_at = step, body, now
    _mark(session, row.person_id, row.channel)


async def drop(session: AsyncSession, *, person_id: int, channel: str) -> None:
    (await _pending(session))[person_id, channel] = _Write(None, gone=True)
    _mark(session, person_id, channel)


async def touch(session: AsyncSession, row: Draft, *, now: datetime) -> None:
    write = (await _pending(session)).setdefault((row.person_id, row.channel), _Write(now))
    write.at = now
    row.updated_at = now


async def flush(session: AsyncSession) -> None:
    """Write this session's deferred drafts now (before a read of the table)."""
    if session.info.get(_PENDING):
        await session.run_sync(_write_pending)


def _write_pending(session: Session) -> None:
    pending: dict[Key, _Write] = session.info.pop(_PENDING, None) or {}
    if not pending:
        return
    gone, rows, columns, times = [], [], [], []
    for (person_id, channel), write in pending.items():
        key = {"person_id": person_id, "channel": channel}
        if write.gone:
            gone.append(key)
        elif write.form is not None:
            columns_of_row = {"form": write.form, "step": write.step, "data": write.data}
            rows.append({**key, **columns_of_row, "updated_at": write.at})
        elif write.step is not None:
            row = {"row_person": person_id, "row_channel": channel}
            columns.append({**row, "step": write.step, "data": write.data, "at": write.at})
        else:
            times.append({"row_person": person_id, "row_channel": channel, "at": write.at})
    connection = session.connection()
    for statement, params in (
        (_DROP, gone),
        (_upsert(connection.dialect.name), rows),
        (_STORE, columns),
        (_TOUCH, times),
    ):
        if params:
            connection.execute(statement, params)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _write_pending(session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the writes of a rolled-back transaction are forgotten
        session.info.pop(_PENDING, None)
