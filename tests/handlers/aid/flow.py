"""Shared pieces of the aid flow tests: a small team roster and a simulator client whose
outbox the test drains by hand, so each person's inbox can be read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import TeamRole
from tests.fakes.roster import make_staff, make_student


async def team_roster(session: AsyncSession) -> dict[str, int]:
    """T001 王芳 holds S001 张三's student-affairs seat (P001 李同学 is the peer mentor);
    T002 陈敏 holds S002 李四's; S003 王五 has no team; A001 is the college admin."""
    teacher = await make_staff(session, name="王芳", code="T001", roles=("counsellor",))
    other = await make_staff(session, name="陈敏", code="T002", roles=("counsellor",))
    admin = await make_staff(session, name="周院长", code="A001", roles=("college_admin",))
    peer = await make_student(session, name="李同学", code="P001")
    zhang = await make_student(
        session,
        name="张三",
        code="S001",
        categories=("orphan",),
        team={TeamRole.STUDENT_AFFAIRS: teacher, TeamRole.PEER_MENTOR: peer},
    )
    li = await make_student(
        session, name="李四", code="S002", team={TeamRole.STUDENT_AFFAIRS: other}
    )
    wang = await make_student(session, name="王五", code="S003", college="文学院")
    await session.commit()
    people = (teacher, other, admin, peer, zhang, li, wang)
    return {person.code: person.id for person in people if person.id is not None}


@asynccontextmanager
async def sim_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            yield client


async def inbox(client: httpx.AsyncClient, code: str) -> list[str]:
    response = await client.get("/sim/api/inbox", params={"user": code})
    assert response.status_code == 200
    return [str(message["text"]) for message in response.json()["messages"]]
