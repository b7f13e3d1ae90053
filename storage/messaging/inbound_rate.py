"""What the per-person inbound rate limit reads and claims, in the database every web replica
shares (handlers/conversation/rate_limit.py decides).

A person's messages lately are counted by the first replies they got: every answered message
of a known person leaves one outbox row keyed `reply:<channel>:<message id>:0`, in the
transaction that handled it, and the row already carries the person and the time (the inbound
dedupe record carries neither). The count rides in the sender lookup's query. The one notice
per window is claimed with a marker in the inbound dedupe table (pseudo-channel `ratelimit`,
as DingTalk's used signatures are): its unique key lets exactly one of two replicas that race
past the limit send it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlmodel import col
from sqlmodel import select as orm_select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.messaging.inbound import first_delivery
from storage.models import InboundMessage, OutboxMessage

NOTICES = "ratelimit"
"""The pseudo-channel of the notice markers in the inbound dedupe table."""


def reply_key(channel: str, message_id: str, index: int) -> str:
    """The outbox key of the `index`-th reply to an inbound message."""
    return f"reply:{channel}:{message_id}:{index}"


_OUTBOX = OutboxMessage.__table__.c  # type: ignore[attr-defined]
NEVER = datetime(9999, 1, 1, tzinfo=UTC)
"""The `since` of a count nobody asked for: the index finds no row after it at once."""


def answered_count(person_id: Any) -> Any:
    """How many of the person's messages on the channel got a reply after :answered_since:
    a scalar subquery the sender lookup (storage/people/identify.py) carries, so the rate
    limit costs no round trip of its own. The index on channel, person and creation time
    reads only the last minute's rows, however long the person's history."""
    return (
        select(func.count())
        .where(_OUTBOX.channel == bindparam("channel"), _OUTBOX.person_id == person_id)
        .where(_OUTBOX.created_at > bindparam("answered_since", type_=_OUTBOX.created_at.type))
        .where(_OUTBOX.idempotency_key.like(bindparam("first_replies")))
        .scalar_subquery()
    )


def answered_params(channel: str, since: datetime | None) -> dict[str, Any]:
    """The parameters of `answered_count` (since None: count nothing)."""
    return {
        "answered_since": since or NEVER,
        "first_replies": reply_key(channel, "%", 0),  # channel names hold no LIKE wildcard
    }


def _marker(channel: str, person_id: int, at: datetime, window: timedelta) -> str:
    bucket = int(at.timestamp() // window.total_seconds())
    return f"{channel}:{person_id}:{bucket}"


async def notified_since(
    session: AsyncSession, *, channel: str, person_id: int, now: datetime, window: timedelta
) -> bool:
    """Whether the person was sent the notice within the last `window`: a marker of this
    window's bucket or the one before, received since then (exact keys, no pattern)."""
    keys = [_marker(channel, person_id, at, window) for at in (now, now - window)]
    query = (
        orm_select(func.count())
        .select_from(InboundMessage)
        .where(col(InboundMessage.channel) == NOTICES)
        .where(col(InboundMessage.dedupe_key).in_(keys))
        .where(col(InboundMessage.received_at) > now - window)
    )
    return int((await session.exec(query)).one()) > 0


async def claim_notice(
    session: AsyncSession, *, channel: str, person_id: int, now: datetime, window: timedelta
) -> bool:
    """Record the notice for this window's bucket; False when another transaction did
    (on PostgreSQL a racing insert waits for the first one's commit, then does nothing)."""
    key = _marker(channel, person_id, now, window)
    return await first_delivery(session, channel=NOTICES, dedupe_key=key, at=now)
