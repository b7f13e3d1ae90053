"""Inbound dedupe: the first delivery wins, a retry is recognised, channels are separate."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.messaging.inbound import first_delivery
from tests.fakes.clock import FakeClock


async def test_second_delivery_of_same_key_is_a_duplicate(
    session: AsyncSession, clock: FakeClock
) -> None:
    first = await first_delivery(session, channel="wecom", dedupe_key="m1", at=clock.now())
    again = await first_delivery(session, channel="wecom", dedupe_key="m1", at=clock.now())
    other_channel = await first_delivery(
        session, channel="dingtalk", dedupe_key="m1", at=clock.now()
    )
    await session.commit()

    assert (first, again, other_channel) == (True, False, True)
