"""Alerts and other messages a handler queues leave right after the commit, as replies do:
the sender is woken, not left for its next sweep."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.fakes.roster import make_staff, make_student


async def test_a_students_crisis_reaches_the_counsellors_inbox_before_the_next_sweep(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    counsellor = await make_staff(session, name="李老师", code="T1")
    await make_student(session, name="张三", code="S1", team={"student_affairs": counsellor})
    await session.commit()
    wakes: list[int] = []
    wake = app.state.dispatcher.on_queued

    def counted() -> None:
        wakes.append(1)
        wake()

    app.state.dispatcher.on_queued = counted

    reply = await client.post("/sim/api/send", json={"user": "S1", "text": "我真的不想活了"})

    assert "400-161-9995" in reply.json()["replies"][0]["text"]
    assert wakes  # the only queued rows are the alerts: the sender was woken for them

    async def alert_arrives() -> None:
        while True:
            inbox = await client.get("/sim/api/inbox", params={"user": "T1"})
            if any("不想活" in m["text"] for m in inbox.json()["messages"]):
                return
            await asyncio.sleep(0.02)

    await asyncio.wait_for(alert_arrives(), timeout=3)  # the sweep would come after 5 s
