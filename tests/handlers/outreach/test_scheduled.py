"""定时 broadcasts are stored and survive a restart; the scheduler job queues them once."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.runtime import open_runtime
from bot.schedule import jobs
from bot.settings import Settings
from storage.models import Broadcast, BroadcastStatus, OutboxMessage
from tests.fakes.chat import Chat
from tests.fakes.clock import FakeClock


async def _broadcast_rows(session: AsyncSession) -> list[OutboxMessage]:
    await session.rollback()
    rows = (await session.exec(select(OutboxMessage))).all()
    return [row for row in rows if row.idempotency_key.startswith("broadcast:")]


async def test_a_scheduled_broadcast_goes_out_after_a_restart(
    sim: httpx.AsyncClient,
    engine: AsyncEngine,
    settings: Settings,
    clock: FakeClock,
    session: AsyncSession,
    school: dict[str, int],
) -> None:
    admin = Chat(sim, "T1")
    preview = await admin.say("群发 学院=机械工程学院 定时 2026-11-24 10:00 内容=明天上午十点体检")
    assert "发送时间：2026-11-24 10:00" in preview
    assert "2026-11-24 10:00 发出" in await admin.say("确认发送")

    # A fresh runtime (the clock process after a restart) finds the stored broadcast.
    async with open_runtime(settings, clock=clock) as runtime:
        early = await jobs.send_scheduled_broadcasts(runtime)
        clock.advance(days=1, hours=1)
        due = await jobs.send_scheduled_broadcasts(runtime)
        again = await jobs.send_scheduled_broadcasts(runtime)

    assert (early, due, again) == (0, 3, 0)
    assert len(await _broadcast_rows(session)) == 3
    [broadcast] = (await session.exec(select(Broadcast))).all()
    assert broadcast.status == BroadcastStatus.QUEUED


async def test_a_time_in_the_past_or_in_quiet_hours_is_asked_again(
    sim: httpx.AsyncClient, session: AsyncSession, school: dict[str, int]
) -> None:
    admin = Chat(sim, "T1")
    assert "已经过去了" in await admin.say("群发 定时 2026-11-01 10:00 内容=开会")
    assert "免打扰" in await admin.say("群发 定时 2026-11-24 23:00 内容=开会")
    assert "没看懂时间" in await admin.say("群发 定时 明天 内容=开会")
    assert "发送时间" in await admin.say("群发 紧急 定时 2026-11-24 23:00 内容=开会")
    await session.rollback()
    assert len((await session.exec(select(Broadcast))).all()) == 1
