"""The outbox: every outgoing message is a row before it is anything else."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, exists, func, insert, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import OutboxMessage, OutboxStatus

IN_RESPONSE = "passive"
"""The platform_msgid of a row whose reply rode in the HTTP response (a passive reply): it
was no active send, and a retried delivery is answered with it again."""


async def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    person_id: int | None,
    recipient: str,
    payload: dict[str, Any],
    idempotency_key: str,
    now: datetime,
    delivered: bool = False,
    platform_msgid: str | None = None,
) -> OutboxMessage:
    """Add a message row; `delivered` marks channels that deliver inside the request itself."""
    values = row_values(
        channel=channel,
        person_id=person_id,
        recipient=recipient,
        payload=payload,
        idempotency_key=idempotency_key,
        now=now,
        delivered=delivered,
        platform_msgid=platform_msgid,
    )
    (row_id,) = await enqueue_many(session, [values])
    return OutboxMessage.model_construct(id=row_id, **values)


def row_values(
    *,
    channel: str,
    person_id: int | None,
    recipient: str,
    payload: dict[str, Any],
    idempotency_key: str,
    now: datetime,
    delivered: bool = False,
    platform_msgid: str | None = None,
) -> dict[str, Any]:
    """The column values of one outbox row, for `enqueue_many`."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    return dict(
        channel=channel,
        person_id=person_id,
        recipient=recipient,
        payload=body,
        content_key=hashlib.sha256(f"{channel}\n{body}".encode()).hexdigest(),
        idempotency_key=idempotency_key,
        status=OutboxStatus.SENT if delivered else OutboxStatus.QUEUED,
        next_attempt_at=now,
        created_at=now,
        sent_at=now if delivered else None,
        platform_msgid=platform_msgid,
        attempts=0,
    )


async def enqueue_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert rows in one statement; their ids, in the order of `rows`.

    A Core INSERT … RETURNING rather than the unit of work, and ids rather than records (a
    model instance per row cost more than its insert): this runs for every reply."""
    if not rows:
        return []
    connection = await session.connection()
    result = await connection.execute(_INSERT, list(rows))
    waiting = sum(1 for row in rows if row["status"] == OutboxStatus.QUEUED)
    session.info[_QUEUED] = session.info.get(_QUEUED, 0) + waiting
    ids: dict[str, int] = {}
    for row_id, key in result:
        assert row_id is not None  # RETURNING a primary key
        ids[key] = row_id
    return [ids[values["idempotency_key"]] for values in rows]


_QUEUED = "outbox_queued"


def queued_in(session: AsyncSession) -> int:
    """How many rows waiting for a sender this session has inserted: after its commit, the
    sender is woken so they leave at once rather than at the next sweep."""
    return int(session.info.get(_QUEUED, 0))


# The ids come back matched by the (unique) idempotency key, not by position: asking for
# them in parameter order makes SQLAlchemy send one INSERT per row on SQLite; this way a
# batch's replies are one statement.
_INSERT = insert(OutboxMessage).returning(col(OutboxMessage.id), col(OutboxMessage.idempotency_key))


async def delivered_to(
    session: AsyncSession, *, channel: str, person_id: int, after: int = 0, limit: int = 200
) -> Sequence[OutboxMessage]:
    """Messages already delivered to a person on a channel, oldest first, after an id."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.channel == channel)
        .where(OutboxMessage.person_id == person_id)
        .where(OutboxMessage.status == OutboxStatus.SENT)
        .where(col(OutboxMessage.id) > after)
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    )
    return (await session.exec(query)).all()


async def requeue(session: AsyncSession, row_id: int, *, now: datetime) -> None:
    """A row meant for a passive reply goes to the sender after all."""
    statement = (
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == row_id)
        .values(status=OutboxStatus.QUEUED, sent_at=None, platform_msgid=None, next_attempt_at=now)
    )
    await session.exec(statement)


async def existing_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of these idempotency keys are taken, in chunks under every driver's limit on
    parameters per statement."""
    found: set[str] = set()
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        query = select(OutboxMessage.idempotency_key).where(
            col(OutboxMessage.idempotency_key).in_(chunk)
        )
        found.update((await session.exec(query)).all())
    return found


_CHUNK = 10_000


async def by_key(session: AsyncSession, idempotency_key: str) -> OutboxMessage | None:
    query = select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
    return (await session.exec(query)).first()


def payload_of(row: OutboxMessage | Leased) -> dict[str, Any]:
    data = json.loads(row.payload)
    assert isinstance(data, dict)
    return data


DUE_STATUSES = (OutboxStatus.QUEUED, OutboxStatus.RETRYING)
UNFINISHED = (*DUE_STATUSES, OutboxStatus.SENDING)
"""The statuses of a row not yet sent or failed (models' ix_outbox_in_line covers them)."""


class Leased(NamedTuple):
    """A row leased to a sender: what sending it needs, read in the claim itself."""

    id: int
    channel: str
    recipient: str
    idempotency_key: str
    content_key: str
    batch_id: str | None
    status: str
    lease_until: datetime
    attempts: int
    """Counted up by every claim: the lease's token, so only its holder records a result."""
    payload: str


_T = OutboxMessage.__table__.c  # type: ignore[attr-defined]


def _earlier_in_line() -> Any:
    """An earlier row to the same recipient that is due or being sent: it goes first, so one
    person's messages reach them in order, also when several senders (replicas) claim at once
    or one sender sends a round's batches concurrently. A row waiting for a later moment (a
    retry's backoff, quiet hours, a per-minute hold) does not keep the later ones waiting: a
    delay of one message is not a delay of everything after it."""
    earlier = OutboxMessage.__table__.alias("earlier").c  # type: ignore[attr-defined]
    due = and_(earlier.status.in_(DUE_STATUSES), earlier.next_attempt_at <= bindparam("now"))
    in_flight = earlier.status == OutboxStatus.SENDING
    return exists().where(
        earlier.channel == _T.channel,
        earlier.recipient == _T.recipient,
        earlier.status.in_(UNFINISHED),
        earlier.id < _T.id,
        or_(due, in_flight),
    )


@cache
def _claim_statement(*, skip_locked: bool) -> Any:
    """One UPDATE … RETURNING: lease due rows (and rows whose sender died mid-lease), oldest
    first. The subquery locks them FOR UPDATE SKIP LOCKED on PostgreSQL, so concurrent
    senders take disjoint rows; SQLite has one writer and no such clause."""
    due = and_(_T.status.in_(DUE_STATUSES), _T.next_attempt_at <= bindparam("now"))
    stale = and_(_T.status == OutboxStatus.SENDING, _T.lease_until < bindparam("now"))
    chosen = (
        select(_T.id)
        .where(_T.channel.in_(bindparam("channels", expanding=True)))
        .where(or_(due, stale))
        .where(~_earlier_in_line())
        .order_by(_T.id)
        .limit(bindparam("limit"))
    )
    if skip_locked:
        chosen = chosen.with_for_update(skip_locked=True)
    return (
        update(OutboxMessage)
        .where(_T.id.in_(chosen.scalar_subquery()))
        .values(
            status=OutboxStatus.SENDING, lease_until=bindparam("lease"), attempts=_T.attempts + 1
        )
        .returning(*(getattr(_T, name) for name in Leased._fields))
    )


async def claim_due(
    session: AsyncSession, *, channels: Sequence[str], now: datetime, lease: timedelta, limit: int
) -> list[Leased]:
    """Lease due rows to this sender, oldest first, in one statement (no ORM objects: this runs
    for every reply)."""
    connection = await session.connection()
    statement = _claim_statement(skip_locked=connection.dialect.name == "postgresql")
    params = {"now": now, "lease": now + lease, "channels": list(channels), "limit": limit}
    result = await connection.execute(statement, params)
    return sorted((Leased(*row) for row in result), key=lambda row: row.id)


_BATCH = (
    update(OutboxMessage)
    .where(_T.id == bindparam("row_id"))
    .values(batch_id=bindparam("new_batch_id"))
)


async def assign_batches(session: AsyncSession, batches: Mapping[int, str]) -> None:
    """row id → the id of the batch it now belongs to: kept across retries, so a resend after
    a crash is the identical request (one executemany)."""
    if batches:
        rows = [{"row_id": row_id, "new_batch_id": batch} for row_id, batch in batches.items()]
        await (await session.connection()).execute(_BATCH, rows)


_HOLD = (
    update(OutboxMessage)
    .where(_T.id == bindparam("row_id"))
    .values(
        status=OutboxStatus.RETRYING,
        lease_until=None,
        next_attempt_at=bindparam("until"),
        attempts=_T.attempts - 1,
    )
)


async def hold_back(session: AsyncSession, until: Mapping[int, datetime]) -> None:
    """Give leased rows back unattempted, due again at a moment (a per-minute cap is full)."""
    if until:
        rows = [{"row_id": row_id, "until": at} for row_id, at in until.items()]
        await (await session.connection()).execute(_HOLD, rows)


class Outcome(NamedTuple):
    """What became of a leased row: its columns after the attempt."""

    row_id: int
    attempts: int
    status: str
    next_attempt_at: datetime | None = None
    """None: unchanged."""
    last_error: str | None = None
    platform_msgid: str | None = None
    response_code: str | None = None
    sent_at: datetime | None = None
    batch_id: str | None = None


_RECORD = (
    update(OutboxMessage)
    .where(_T.id == bindparam("row_id"))
    .where(_T.attempts == bindparam("leased_attempts"))
    .where(_T.status == OutboxStatus.SENDING)
    .values(
        status=bindparam("new_status"),
        lease_until=None,
        next_attempt_at=func.coalesce(
            bindparam("new_next", type_=_T.next_attempt_at.type), _T.next_attempt_at
        ),
        last_error=bindparam("new_error"),
        platform_msgid=bindparam("new_msgid"),
        response_code=bindparam("new_code"),
        sent_at=bindparam("new_sent_at", type_=_T.sent_at.type),
        batch_id=bindparam("new_batch"),
    )
)


async def record(session: AsyncSession, outcomes: Sequence[Outcome]) -> None:
    """Record attempts in one executemany, without reading the rows again. Only the lease's
    holder records: a row claimed again since (its lease ran out) keeps the newer attempt's
    outcome."""
    if not outcomes:
        return
    rows = [
        {
            "row_id": o.row_id,
            "leased_attempts": o.attempts,
            "new_status": o.status,
            "new_next": o.next_attempt_at,
            "new_error": o.last_error,
            "new_msgid": o.platform_msgid,
            "new_code": o.response_code,
            "new_sent_at": o.sent_at,
            "new_batch": o.batch_id,
        }
        for o in outcomes
    ]
    await (await session.connection()).execute(_RECORD, rows)


async def recent_sends(
    session: AsyncSession, *, channel: str, recipients: Sequence[str], since: datetime
) -> dict[str, list[datetime]]:
    """Active sends per recipient since a moment (passive replies do not count)."""
    query = (
        select(OutboxMessage.recipient, OutboxMessage.sent_at)
        .where(OutboxMessage.channel == channel)
        .where(col(OutboxMessage.recipient).in_(recipients))
        .where(OutboxMessage.status == OutboxStatus.SENT)
        .where(col(OutboxMessage.sent_at) >= since)
        .where(
            or_(
                col(OutboxMessage.platform_msgid).is_(None),
                col(OutboxMessage.platform_msgid) != IN_RESPONSE,
            )
        )
    )
    result: dict[str, list[datetime]] = {}
    for recipient, sent_at in (await session.exec(query)).all():
        if sent_at is not None:
            result.setdefault(recipient, []).append(sent_at)
    return result


async def kept_retries(
    session: AsyncSession, *, channel: str, recipients: Sequence[str], before: datetime
) -> dict[str, list[datetime]]:
    """When each recipient's kept batches (a byte-identical resend after a transient error)
    are due again, for those due before a moment: they were admitted under the per-minute cap
    once, leave without asking it again, and may even have arrived already (a lost answer)."""
    query = (
        select(OutboxMessage.recipient, OutboxMessage.next_attempt_at)
        .where(OutboxMessage.channel == channel)
        .where(col(OutboxMessage.recipient).in_(recipients))
        .where(OutboxMessage.status == OutboxStatus.RETRYING)
        .where(col(OutboxMessage.batch_id).is_not(None))
        .where(col(OutboxMessage.next_attempt_at) < before)
    )
    result: dict[str, list[datetime]] = {}
    for recipient, due in (await session.exec(query)).all():
        result.setdefault(recipient, []).append(due)
    return result


async def rows_by_id(session: AsyncSession, ids: Sequence[int]) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(col(OutboxMessage.id).in_(ids))
    return list((await session.exec(query)).all())


async def status_counts(session: AsyncSession) -> list[tuple[str, str, int]]:
    query = (
        select(OutboxMessage.channel, OutboxMessage.status, func.count())
        .group_by(col(OutboxMessage.channel), col(OutboxMessage.status))
        .order_by(col(OutboxMessage.channel), col(OutboxMessage.status))
    )
    return [(c, s, n) for c, s, n in (await session.exec(query)).all()]


async def common_errors(session: AsyncSession, *, limit: int = 5) -> list[tuple[str, int]]:
    query = (
        select(OutboxMessage.last_error, func.count())
        .where(col(OutboxMessage.last_error).is_not(None))
        .where(col(OutboxMessage.status).in_((OutboxStatus.RETRYING, OutboxStatus.FAILED)))
        .group_by(col(OutboxMessage.last_error))
        .order_by(func.count().desc())
        .limit(limit)
    )
    return [(e or "", n) for e, n in (await session.exec(query)).all()]
