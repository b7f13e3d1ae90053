"""`统计` in chat: refused to everyone but admins (audited), and end to end for an admin: the
quick answer, then the summary and the chart as an image from the work runner."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry
from tests.fakes.care_roster import College
from tests.fakes.chat import Chat
from tests.handlers.reports.stats_roster import build_counted

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def college(session: AsyncSession) -> College:
    return await build_counted(session)


async def _delivered(app: FastAPI, client: httpx.AsyncClient, user: str) -> list[dict[str, Any]]:
    """What reached `user` once the runner did the work and the outbox sent its answer."""
    await app.state.work.drain()
    async with asyncio.timeout(10):
        while True:
            await app.state.outbox.drain()
            answer = await client.get("/sim/api/inbox", params={"user": user})
            messages: list[dict[str, Any]] = answer.json()["messages"]
            if any(m["kind"] == "image" for m in messages):
                return messages
            await asyncio.sleep(0.05)


@pytest.mark.parametrize(
    ("user", "asked"),
    [
        ("T100", "统计"),  # a counsellor
        ("T200", "统计"),  # an academic mentor
        ("P300", "统计"),  # a peer mentor
        ("2025000001", "统计"),  # a student
        ("T900", "统计 机械工程学院"),  # a college admin asking for another college
    ],
)
async def test_stats_are_refused_and_audited(
    client: httpx.AsyncClient, college: College, session: AsyncSession, user: str, asked: str
) -> None:
    answer = await Chat(client, user).say(asked)
    assert answer.startswith("无权限") and "正在统计" not in answer
    await session.rollback()
    entries = (
        await session.exec(select(AuditEntry).where(AuditEntry.action == "denied_stats"))
    ).all()
    assert len(entries) == 1 and "孤儿" not in (entries[0].detail or "")


async def test_a_college_admin_gets_the_summary_and_the_chart(
    app: FastAPI, client: httpx.AsyncClient, college: College, session: AsyncSession
) -> None:
    quick = await Chat(client, "T900").say("统计")
    assert "正在统计计算机学院" in quick

    messages = await _delivered(app, client, "T900")
    texts = [m["text"] for m in messages if m["kind"] == "text"]
    assert any("特殊群体学生 6 人" in t and "机械工程学院 <3" in t for t in texts)
    picture = next(m for m in messages if m["kind"] == "image")
    assert picture["title"].endswith(".png") and "计算机学院" in picture["title"]
    assert base64.b64decode(picture["text"]).startswith(PNG)
    await session.rollback()
    done = (await session.exec(select(AuditEntry).where(AuditEntry.action == "stats"))).all()
    assert [e.detail for e in done] == ["college=计算机学院 students=6"]


async def test_a_school_admin_sees_every_college_exactly(
    app: FastAPI, client: httpx.AsyncClient, college: College
) -> None:
    assert "正在统计全校" in await Chat(client, "T901").say("统计")
    messages = await _delivered(app, client, "T901")
    told = "\n".join(m["text"] for m in messages if m["kind"] == "text")
    assert "特殊群体学生 8 人" in told and "机械工程学院 2" in told


async def test_an_unknown_college_is_named(client: httpx.AsyncClient, college: College) -> None:
    assert "没有找到「艺术学院」" in await Chat(client, "T901").say("统计 艺术学院")
