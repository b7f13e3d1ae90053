"""A small school for broadcast tests, and a simulator app whose outbox runs when told."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import create_app
from bot.settings import Settings
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student

STUDENTS = ("S1", "S2", "S3", "S4")


@pytest.fixture
async def school(session: AsyncSession) -> dict[str, int]:
    """T1 school admin, T2 a second school admin, T3 college admin of 机械工程学院,
    T4 counsellor of S1 and S2, T5 an academic mentor (no broadcasts). S1..S3 are in
    机械工程学院 grade 2023 (S1 低保家庭); S4 is in 计算机学院."""
    admin = await make_staff(session, name="校管理员", code="T1", roles=("school_admin",))
    second = await make_staff(session, name="副管理员", code="T2", roles=("school_admin",))
    college = await make_staff(
        session, name="院管理员", code="T3", roles=("college_admin",), college="机械工程学院"
    )
    counsellor = await make_staff(session, name="王老师", code="T4", college="机械工程学院")
    mentor = await make_staff(session, name="赵老师", code="T5", roles=("academic_mentor",))
    people = {"T1": admin, "T2": second, "T3": college, "T4": counsellor, "T5": mentor}
    for code, name, college_name, categories in (
        ("S1", "张三", "机械工程学院", ("subsistence_allowance",)),
        ("S2", "李四", "机械工程学院", ()),
        ("S3", "王五", "机械工程学院", ()),
        ("S4", "赵六", "计算机学院", ()),
    ):
        team = {"student_affairs": counsellor} if code in ("S1", "S2") else None
        student = await make_student(
            session,
            name=name,
            code=code,
            college=college_name,
            class_name="机械2301" if college_name == "机械工程学院" else "计科2301",
            categories=categories,
            team=team,
        )
        student.grade = "2023"
        student.graduation_year = 2027
        session.add(student)
        people[code] = student
    await session.commit()
    return {code: person.id for code, person in people.items() if person.id is not None}


@pytest.fixture
async def quiet_app(
    settings: Settings, clock: FakeClock, school: dict[str, int]
) -> AsyncIterator[FastAPI]:
    """The outbox sends only when a test drains it."""
    application = create_app(settings, clock=clock, run_outbox=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def sim(quiet_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=quiet_app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        yield client


async def inbox(client: httpx.AsyncClient, code: str) -> list[dict[str, object]]:
    """The notices a person received (not the replies to what they said)."""
    response = await client.get("/sim/api/inbox", params={"user": code})
    assert response.status_code == 200
    messages: list[dict[str, object]] = response.json()["messages"]
    return [m for m in messages if str(m.get("title") or m.get("text")).startswith("【")]


@pytest.fixture
def settings_small_approval(settings: Settings) -> None:
    """Broadcasts to more than 3 people need a second admin."""
    settings.broadcast_approval_over = 3
