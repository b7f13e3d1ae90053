"""Topic subscriptions: who has turned a topic off. No row means subscribed; 通知 cannot be
turned off."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Subscription

TOPICS = ("通知", "岗位", "资助", "活动", "心理")
MANDATORY = "通知"
"""Official notices reach everyone: no one may unsubscribe from them."""

CHUNK = 10_000


def may_unsubscribe(topic: str) -> bool:
    return topic in TOPICS and topic != MANDATORY


async def unsubscribed(session: AsyncSession, person_ids: Sequence[int], topic: str) -> set[int]:
    """The people among `person_ids` who turned `topic` off (never anyone for 通知)."""
    if not may_unsubscribe(topic):
        return set()
    wanted = sorted(set(person_ids))
    found: set[int] = set()
    for start in range(0, len(wanted), CHUNK):
        query = select(col(Subscription.person_id)).where(
            col(Subscription.topic) == topic,
            col(Subscription.subscribed).is_(False),
            col(Subscription.person_id).in_(wanted[start : start + CHUNK]),
        )
        found.update((await session.exec(query)).all())
    return found


async def set_subscription(
    session: AsyncSession, person_id: int, topic: str, on: bool, now: datetime
) -> None:
    """Turn a topic on or off for a person; turning 通知 off is refused with ValueError."""
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}")
    if not on and not may_unsubscribe(topic):
        raise ValueError("this topic cannot be unsubscribed")
    row = await session.get(Subscription, (person_id, topic))
    if row is None:
        session.add(Subscription(person_id=person_id, topic=topic, subscribed=on, updated_at=now))
    else:
        row.subscribed = on
        row.updated_at = now
        session.add(row)
    await session.flush()


async def topics_off(session: AsyncSession, person_id: int) -> list[str]:
    """The topics a person has turned off, in TOPICS order."""
    query = select(col(Subscription.topic)).where(
        col(Subscription.person_id) == person_id, col(Subscription.subscribed).is_(False)
    )
    off = set((await session.exec(query)).all())
    return [topic for topic in TOPICS if topic in off]
