"""`导出台账` and `档案表` in the chat: queued at once, built by the runner, sent as a file to
the admin who asked and nobody else, audited; everyone else 无权限, audited too."""

from __future__ import annotations

import base64
import json
from io import BytesIO

import httpx
import pytest
from docx import Document
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from messages.render import render
from storage.models import AuditEntry, OutboxMessage, WorkRequest
from tests.fakes.chat import Chat
from tests.fakes.roster import make_student
from tests.storage.exports.export_school import School, build_school

DENIED = render("export_denied")


@pytest.fixture
async def school(session: AsyncSession) -> School:
    return await build_school(session)


async def _files(app: FastAPI, session: AsyncSession) -> list[tuple[int | None, dict[str, object]]]:
    """Once the runner has done what was asked: every file queued, with its recipient."""
    await app.state.work.drain()
    await session.rollback()
    rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    found = [(row.person_id, json.loads(row.payload)) for row in rows]
    return [(person, payload) for person, payload in found if payload["kind"] == "file"]


async def _audit(session: AsyncSession, action: str) -> list[AuditEntry]:
    await session.rollback()
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id))
    return list((await session.exec(query)).all())


async def test_a_college_admin_gets_their_college_ledger_alone(
    app: FastAPI, client: httpx.AsyncClient, school: School, session: AsyncSession
) -> None:
    answer = await Chat(client, "A001").say("导出台账")

    assert answer == "正在生成2026-2027学年第一学期计算机学院的台账，好了马上发给您。"
    [(person, payload)] = await _files(app, session)
    assert person == school.ids["A001"] and payload["confidential"] is True
    assert payload["title"] == "2026-2027学年第一学期特殊群体学生台账-计算机学院.xlsx"
    book = load_workbook(BytesIO(base64.b64decode(str(payload["text"]))))
    assert [book["家庭经济困难"][f"B{row}"].value for row in (4, 5)] == ["孙七", "张三"]
    assert book["心理异常"]["A4"].value == "注：以上表格每学期上报一次"  # 王五 is in 文学院
    assert book["家庭经济困难"].oddHeader.right.text.startswith("导出：周院长 A001 2026-11-23")
    [entry] = await _audit(session, "export_ledger")
    assert (entry.actor_id, entry.channel) == (school.ids["A001"], "simulator")
    assert entry.detail == "semester=2026-2027学年第一学期 college=计算机学院 students=3"


async def test_a_school_admin_names_the_semester_and_gets_the_whole_school(
    app: FastAPI, client: httpx.AsyncClient, school: School, session: AsyncSession
) -> None:
    assert "全校" in await Chat(client, "A900").say("导出台账 2026-秋")

    [(person, payload)] = await _files(app, session)
    book = load_workbook(BytesIO(base64.b64decode(str(payload["text"]))))
    assert person == school.ids["A900"] and book["心理异常"]["B4"].value == "王五"


@pytest.mark.parametrize("code", ["T001", "T002", "P001", "S001"])
async def test_mentors_peers_and_students_are_refused_and_audited(
    app: FastAPI, client: httpx.AsyncClient, school: School, session: AsyncSession, code: str
) -> None:
    chat = Chat(client, code)
    assert await chat.say("导出台账") == DENIED
    assert await chat.say("档案表 张三") == DENIED
    assert await chat.say("档案表 没有这个人") == DENIED

    assert (await session.exec(select(WorkRequest))).all() == []
    actions = [e.action for e in await _audit(session, "denied_export_ledger")]
    actions += [e.action for e in await _audit(session, "denied_export_casefile")]
    assert len(actions) == 3
    assert all(
        e.actor_id == school.ids[code] for e in await _audit(session, "denied_export_ledger")
    )


async def test_another_colleges_ledger_is_refused(
    client: httpx.AsyncClient, school: School, session: AsyncSession
) -> None:
    assert await Chat(client, "A001").say("导出台账 2026-秋 文学院") == DENIED
    [entry] = await _audit(session, "denied_export_ledger")
    assert entry.detail == "college=文学院"
    assert (await session.exec(select(WorkRequest))).all() == []


async def test_the_case_file_reaches_the_admin_as_a_document(
    app: FastAPI, client: httpx.AsyncClient, school: School, session: AsyncSession
) -> None:
    assert await Chat(client, "A001").say("档案表 张三") == "正在生成张三的档案表，好了马上发给您。"

    [(person, payload)] = await _files(app, session)
    assert person == school.ids["A001"] and payload["title"] == "特殊群体学生档案表-张三-S001.docx"
    doc = Document(BytesIO(base64.b64decode(str(payload["text"]))))
    assert doc.tables[0].rows[0].cells[1].text == "张三"
    [entry] = await _audit(session, "export_casefile")
    assert (entry.actor_id, entry.subject_id) == (school.ids["A001"], school.ids["S001"])


async def test_another_colleges_student_looks_like_nobody(
    client: httpx.AsyncClient, school: School, session: AsyncSession
) -> None:
    admin = Chat(client, "A001")
    assert await admin.say("档案表 王五") == DENIED
    assert await admin.say("档案表 S003") == DENIED
    assert await admin.say("档案表 查无此人") == DENIED
    assert "没有找到「查无此人」" in await Chat(client, "A900").say("档案表 查无此人")

    entries = await _audit(session, "denied_export_casefile")
    assert [e.subject_id for e in entries] == [school.ids["S003"], school.ids["S003"], None]


async def test_two_students_of_one_name_ask_for_the_code(
    client: httpx.AsyncClient, school: School, session: AsyncSession
) -> None:
    await make_student(session, name="张三", code="S010", class_name="化工2302")
    await session.commit()

    answer = await Chat(client, "A001").say("档案表 张三")
    assert "张三（计科2301） S001" in answer and "张三（化工2302） S010" in answer
    # by class, not in the order the rows were written
    assert answer.index("张三（化工2302）") < answer.index("张三（计科2301）")
    assert (await session.exec(select(WorkRequest))).all() == []
