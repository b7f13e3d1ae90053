"""Channel configuration problems that an operator must fix, kept for /healthz."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ChannelHealth


async def report_problem(
    session: AsyncSession, *, channel: str, problem: str | None, at: datetime
) -> None:
    """Record (or clear, with None) the channel's current configuration problem."""
    row = await session.get(ChannelHealth, channel)
    if row is None:
        session.add(ChannelHealth(channel=channel, problem=problem, at=at))
    else:
        row.problem, row.at = problem, at
    await session.flush()


async def channel_problems(session: AsyncSession) -> dict[str, str]:
    rows = await session.exec(select(ChannelHealth).where(ChannelHealth.problem.is_not(None)))  # type: ignore[union-attr]
    return {row.channel: row.problem or "" for row in rows.all()}
