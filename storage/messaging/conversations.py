"""Conversation state: one row per person per channel; the draft is encrypted JSON."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Conversation

_LOAD = (
    select(Conversation)
    .where(col(Conversation.person_id) == bindparam("person_id"))
    .where(col(Conversation.channel) == bindparam("channel"))
)


def changed(session: AsyncSession, *, person_id: int, channel: str) -> bool:
    """Whether this session saved or dropped the person's conversation (a batch of messages
    shares a session: a later message must not trust what was known before the first)."""
    return (person_id, channel) in session.info.get(_CHANGED, ())


def _mark(session: AsyncSession, person_id: int, channel: str) -> None:
    session.info.setdefault(_CHANGED, set()).add((person_id, channel))


_CHANGED = "conversations_changed"


async def load(session: AsyncSession, *, person_id: int, channel: str) -> Conversation | None:
    """Runs for every message from a known person: the statement is built once."""
    result = await session.exec(_LOAD, params={"person_id": person_id, "channel": channel})
    return result.first()


def data_of(row: Conversation) -> dict[str, Any]:
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
) -> Conversation:
    """Open a form: a new draft, or one that replaces whatever the person had on this channel."""
    row = await load(session, person_id=person_id, channel=channel)
    body = json.dumps(data, ensure_ascii=False)
    if row is None:
        row = Conversation(
            person_id=person_id, channel=channel, form=form, step=step, data=body, updated_at=now
        )
    else:
        row.form, row.step, row.data, row.updated_at = form, step, body, now
    session.add(row)
    await session.flush()
    _mark(session, person_id, channel)
    return row


async def store(
    session: AsyncSession, row: Conversation, *, step: str, data: dict[str, Any], now: datetime
) -> None:
    """The new draft of a conversation already loaded: one UPDATE, no second look-up."""
    row.step, row.data, row.updated_at = step, json.dumps(data, ensure_ascii=False), now
    session.add(row)
    await session.flush()
    _mark(session, row.person_id, row.channel)


async def drop(session: AsyncSession, *, person_id: int, channel: str) -> None:
    statement = (
        delete(Conversation)
        .where(Conversation.person_id == person_id)  # type: ignore[arg-type]
        .where(Conversation.channel == channel)  # type: ignore[arg-type]
    )
    await session.exec(statement)
    _mark(session, person_id, channel)


async def touch(session: AsyncSession, row: Conversation, *, now: datetime) -> None:
    row.updated_at = now
    session.add(row)
    await session.flush()
