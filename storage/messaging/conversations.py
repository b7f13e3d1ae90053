"""Conversation state: one row per person per channel; the draft is encrypted JSON.

Every message to an open form reads and writes this row, so these are Core statements on a
plain `Draft` (no ORM unit of work: its flush cost more than the form step itself). The
sender's identify query reads the draft in the same round trip (`DRAFT_COLUMNS`, `draft_of`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Conversation

_TABLE = Conversation.__table__  # type: ignore[attr-defined]
_FIELDS = ("id", "person_id", "channel", "form", "step", "data", "updated_at")


@dataclass(slots=True)
class Draft:
    """A person's open form on one channel, as stored; `store` and `touch` update it."""

    id: int
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
_STORE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("draft_id"))
    .values(step=bindparam("step"), data=bindparam("data"), updated_at=bindparam("at"))
)
_TOUCH = (
    update(_TABLE).where(_TABLE.c.id == bindparam("draft_id")).values(updated_at=bindparam("at"))
)


@cache
def _upsert(dialect: str) -> Any:
    """Open a form over whatever the person had on this channel: one statement."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_TABLE)
    return statement.on_conflict_do_update(
        index_elements=["person_id", "channel"],
        set_={name: statement.excluded[name] for name in ("form", "step", "data", "updated_at")},
    ).returning(_TABLE.c.id)


def changed(session: AsyncSession, *, person_id: int, channel: str) -> bool:
    """Whether this session saved or dropped the person's conversation (a batch of messages
    shares a session: a later message must not trust what was known before the first)."""
    return (person_id, channel) in session.info.get(_CHANGED, ())


def _mark(session: AsyncSession, person_id: int, channel: str) -> None:
    session.info.setdefault(_CHANGED, set()).add((person_id, channel))


_CHANGED = "conversations_changed"


async def load(session: AsyncSession, *, person_id: int, channel: str) -> Draft | None:
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
    connection = await session.connection()
    values = {
        "person_id": person_id,
        "channel": channel,
        "form": form,
        "step": step,
        "data": body,
        "updated_at": now,
    }
    draft_id = (await connection.execute(_upsert(connection.dialect.name), values)).scalar_one()
    _mark(session, person_id, channel)
    return Draft(draft_id, person_id, channel, form, step, body, now)


async def store(
    session: AsyncSession, row: Draft, *, step: str, data: dict[str, Any], now: datetime
) -> None:
    """The new draft of a conversation already loaded: one UPDATE, no second look-up."""
    body = json.dumps(data, ensure_ascii=False)
    connection = await session.connection()
    await connection.execute(_STORE, {"draft_id": row.id, "step": step, "data": body, "at": now})
    row.step, row.data, row.updated_at = step, body, now
    _mark(session, row.person_id, row.channel)


async def drop(session: AsyncSession, *, person_id: int, channel: str) -> None:
    connection = await session.connection()
    await connection.execute(_DROP, {"person_id": person_id, "channel": channel})
    _mark(session, person_id, channel)


async def touch(session: AsyncSession, row: Draft, *, now: datetime) -> None:
    connection = await session.connection()
    await connection.execute(_TOUCH, {"draft_id": row.id, "at": now})
    row.updated_at = now
