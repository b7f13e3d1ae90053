"""Work requests: long work asked for in a chat (a school's digests now), stored in the
transaction of the message that asked and done later by a runner (bot/work.py), outside any
callback, so that the message's transaction holds no lock while a school is read.

A request is claimed with a lease: a runner that dies mid-work leaves it to be claimed again
when the lease runs out; the work is written to be repeated (the digests' reminder log)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import WorkRequest, WorkStatus

_TABLE = WorkRequest.__table__  # type: ignore[attr-defined]
_REQUESTED = "work_requested"


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    kind: str
    args: dict[str, Any]
    requested_by: int | None
    attempts: int


async def request(
    session: AsyncSession,
    *,
    kind: str,
    requested_by: int | None,
    args: dict[str, Any],
    now: datetime,
) -> int:
    """Store a request; the runner hears of it once the transaction commits (`requested_in`)."""
    row = WorkRequest(
        kind=kind,
        args=json.dumps(args, ensure_ascii=False, sort_keys=True),
        requested_by=requested_by,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    session.info[_REQUESTED] = True
    assert row.id is not None
    return row.id


def requested_in(session: AsyncSession) -> bool:
    """Whether this session stored a request: after its commit, the runner is woken."""
    return bool(session.info.get(_REQUESTED))


_CLAIMABLE = or_(
    _TABLE.c.status == WorkStatus.QUEUED,
    and_(_TABLE.c.status == WorkStatus.RUNNING, _TABLE.c.lease_until < bindparam("now")),
)
# The claimable test twice: PostgreSQL re-checks the outer condition on the row it waited
# for, so of two runners racing for one request the second finds it taken.
_CLAIM = (
    update(_TABLE)
    .where(
        _TABLE.c.id
        == select(_TABLE.c.id).where(_CLAIMABLE).order_by(_TABLE.c.id).limit(1).scalar_subquery()
    )
    .where(_CLAIMABLE)
    .values(
        status=WorkStatus.RUNNING,
        attempts=_TABLE.c.attempts + 1,
        lease_until=bindparam("until"),
    )
    .returning(_TABLE.c.id, _TABLE.c.kind, _TABLE.c.args, _TABLE.c.requested_by, _TABLE.c.attempts)
)


async def claim(session: AsyncSession, *, now: datetime, lease: timedelta) -> Claimed | None:
    """The oldest request nobody holds, now held by the caller for `lease`; None if none."""
    connection = await session.connection()
    result = await connection.execute(_CLAIM, {"now": now, "until": now + lease})
    row = result.first()
    if row is None:
        return None
    return Claimed(row.id, row.kind, json.loads(row.args), row.requested_by, row.attempts)


async def finish(session: AsyncSession, request_id: int, *, failed: bool, now: datetime) -> None:
    status = WorkStatus.FAILED if failed else WorkStatus.DONE
    statement = (
        update(_TABLE)
        .where(_TABLE.c.id == request_id)
        .values(status=status, finished_at=now, lease_until=None)
    )
    await (await session.connection()).execute(statement)


async def release(session: AsyncSession, request_id: int, *, retry_at: datetime) -> None:
    """Give a request back after a failed attempt, to be claimed again from `retry_at`."""
    statement = (
        update(_TABLE)
        .where(_TABLE.c.id == request_id)
        .values(status=WorkStatus.RUNNING, lease_until=retry_at)
    )
    await (await session.connection()).execute(statement)


async def status_of(session: AsyncSession, request_id: int) -> tuple[str, int]:
    row = (
        await (await session.connection()).execute(
            select(_TABLE.c.status, _TABLE.c.attempts).where(_TABLE.c.id == request_id)
        )
    ).one()
    return row.status, row.attempts
