"""Topic subscriptions: off per topic, on by default, 通知 never off."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.outreach.subscriptions import set_subscription, topics_off, unsubscribed
from tests.fakes.roster import make_student

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


async def test_a_topic_turned_off_leaves_only_that_person_out(session: AsyncSession) -> None:
    one = await make_student(session, name="张三")
    two = await make_student(session, name="李四")
    assert one.id and two.id
    await set_subscription(session, one.id, "岗位", False, NOW)

    assert await unsubscribed(session, [one.id, two.id], "岗位") == {one.id}
    assert await unsubscribed(session, [one.id, two.id], "资助") == set()
    assert await topics_off(session, one.id) == ["岗位"]

    await set_subscription(session, one.id, "岗位", True, NOW)
    assert await unsubscribed(session, [one.id, two.id], "岗位") == set()


async def test_notices_cannot_be_turned_off(session: AsyncSession) -> None:
    one = await make_student(session)
    assert one.id
    with pytest.raises(ValueError):
        await set_subscription(session, one.id, "通知", False, NOW)
    with pytest.raises(ValueError):
        await set_subscription(session, one.id, "八卦", False, NOW)
    assert await unsubscribed(session, [one.id], "通知") == set()
