"""Only one clock leads: a second one stands by until the first lets go."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.leader import leadership


async def test_second_claimant_waits_until_the_leader_lets_go(engine: AsyncEngine) -> None:
    async with leadership(engine, "clock-test") as first:
        async with leadership(engine, "clock-test") as second:
            assert (first, second) == (True, False)
        async with leadership(engine, "another-lock") as other:
            assert other is True
    async with leadership(engine, "clock-test") as again:
        assert again is True
