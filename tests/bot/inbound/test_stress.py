"""Bounded stress: hundreds of staggered WeCom callbacks and simulator sends arrive together;
every one is answered, in its response or through the outbox, and none twice."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.wecom.callback import Timing
from storage.models import OutboxMessage
from tests.conftest import DATA_KEY
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff
from tests.fakes.wecom_callbacks import CallbackBuilder, fake_server, running_app, wecom_settings

WECOM_USERS = [f"wx{i:03d}" for i in range(40)]
SIM_USERS = [f"S{i:03d}" for i in range(40)]
PER_USER = 20


async def _turns(n: int) -> None:
    """Stagger by loop turns, not seconds: arrivals land between any two steps of a worker."""
    for _ in range(n):
        await asyncio.sleep(0)


async def _arrange(session: AsyncSession) -> None:
    for n, account in enumerate(WECOM_USERS):
        await make_staff(session, name=f"企微{n}", code=f"W{n:04d}", wecom=account)
    for n, code in enumerate(SIM_USERS):
        await make_staff(session, name=f"模拟{n}", code=code)
    await session.commit()


async def test_staggered_callbacks_and_simulator_sends_are_all_answered_once(
    database_url: str, clock: FakeClock, engine: AsyncEngine, session: AsyncSession
) -> None:
    await _arrange(session)
    fake = fake_server(clock, *WECOM_USERS)
    settings = wecom_settings(database_url, DATA_KEY, simulator=True)
    builder, rng = CallbackBuilder(clock), random.Random(20261201)
    async with running_app(settings, clock, fake) as (app, _):
        app.state.wecom.timing = Timing(passive=0.5, claimed=1.0)
        local = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=local, base_url="http://127.0.0.1:8000") as client:

            async def wecom(user: str) -> bool:
                await _turns(rng.randrange(6))
                callback = builder.text(user, "帮助")
                response = await client.post(
                    "/wecom/callback", params=callback.params, content=callback.body
                )
                assert response.status_code == 200
                return bool(response.content)

            async def simulator(user: str) -> int:
                await _turns(rng.randrange(6))
                response = await client.post("/sim/api/send", json={"user": user, "text": "帮助"})
                assert response.status_code == 200
                return len(response.json()["replies"])

            # Waves of staggered arrivals: every wave's tail is a chance to land in the turn
            # between a worker's last empty take and its exit, where a message was stranded.
            passive: list[bool] = []
            answered: list[int] = []
            for wave in range(PER_USER * 8):
                users = WECOM_USERS[wave % 8 :: 8] + SIM_USERS[wave % 8 :: 8]
                wecoms = [wecom(u) for u in users if u in WECOM_USERS]
                sims = [simulator(u) for u in users if u in SIM_USERS]
                both = asyncio.gather(asyncio.gather(*wecoms), asyncio.gather(*sims))
                rode, got = await asyncio.wait_for(both, timeout=5)
                passive += rode
                answered += got
            await asyncio.wait_for(app.state.wecom.drain(), timeout=10)
            await asyncio.wait_for(app.state.outbox.drain(), timeout=10)

    assert answered == [1] * len(SIM_USERS) * PER_USER
    replies = Counter(
        row.recipient
        for row in (await session.exec(select(OutboxMessage))).all()
        if row.idempotency_key.startswith("reply:")
    )
    assert replies == Counter({u: PER_USER for u in WECOM_USERS + SIM_USERS})
    through_api = Counter(user for user in WECOM_USERS for _ in fake.contents_for(user))
    assert sum(through_api.values()) == len(passive) - sum(passive)  # the rest rode passively
