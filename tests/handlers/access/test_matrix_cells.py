"""Every cell of the access matrix through the real chat commands: a person holding exactly
that role asks for the action about a student of their own (their team, their college, or
anyone); the matrix says allowed → the command's normal answer, refused → 无权限, and nothing
stored but the audit entry. Student-scoped refusals read the same for a student outside the
person's scope and for a name nobody has. One school and one app serve the whole module; each
cell brings its own fresh person and student, so cells never see each other's drafts."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from itertools import count

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import create_app
from bot.settings import Settings
from handlers.access.matrix import MATRIX, ROLES, Action, Scope
from handlers.context import Context
from handlers.safety.alerts import escalate_due, raise_alert
from storage.db import make_engine, make_sessionmaker, session_scope
from storage.models import (
    AidApplication,
    AuditEntry,
    Broadcast,
    BroadcastStatus,
    CaseClosure,
    CaseFile,
    Person,
    Role,
    TeamRole,
    VisitLog,
)
from storage.people.categories import sync_categories
from tests.conftest import DATA_KEY, PG_URL
from tests.fakes.chat import Chat
from tests.fakes.clock import FakeClock
from tests.fakes.roster import make_staff, make_student
from tests.fakes.wecom import FakeWeComServer
from tests.fakes.wecom_callbacks import CallbackBuilder, fake_server, wecom_settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

CS, ARTS = "计算机学院", "文学院"
SEAT_OF = {
    Role.PEER_MENTOR: TeamRole.PEER_MENTOR,
    Role.ACADEMIC_MENTOR: TeamRole.ACADEMIC_MENTOR,
    Role.COUNSELLOR: TeamRole.STUDENT_AFFAIRS,
    Role.CLASS_TEACHER: TeamRole.STUDENT_AFFAIRS,
}
COLLEGE_OF = {Role.SCHOOL_ADMIN: "学生处", Role.PSYCH_CENTER: "心理中心"}
NOT_STORED = {"audit_log", "inbound_message", "pending_inbound", "outbox", "channel_health"}
"""The refusal's own trace: its audit entry, the message that asked and the reply."""
_serial = count(1)


@dataclass
class World:
    app: FastAPI
    client: httpx.AsyncClient
    sessions: async_sessionmaker[AsyncSession]
    clock: FakeClock
    settings: Settings
    wecom: httpx.AsyncClient
    fake: FakeWeComServer
    callbacks: CallbackBuilder


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    url = PG_URL or f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'carebot.db'}"
    engine = make_engine(url, data_key=DATA_KEY)
    await _schema(engine)
    sessions = make_sessionmaker(engine)
    # One app on both channels: the simulator for every cell, WeCom callbacks for a sample.
    settings = wecom_settings(url, DATA_KEY, simulator=True, broadcast_approval_over=0)
    clock = FakeClock()
    fake = fake_server(clock)
    app = create_app(settings, clock=clock, transport=fake.transport(), run_outbox=False)
    sim, wecom = _client(app, "127.0.0.1"), _client(app, "101.226.0.1")
    async with app.router.lifespan_context(app), sim, wecom:
        yield World(app, sim, sessions, clock, settings, wecom, fake, CallbackBuilder(clock))
    await engine.dispose()


def _client(app: FastAPI, host: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(host, 50000))
    return httpx.AsyncClient(transport=transport, base_url=f"http://{host}")


async def _schema(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.drop_all)
        await connection.run_sync(SQLModel.metadata.create_all)
    async with session_scope(make_sessionmaker(engine)) as session:
        await sync_categories(session)


@dataclass
class Cell:
    """One person holding `role`, and a student in their reach (or anyone's, when none)."""

    actor: Person
    student: Person
    role: Role
    account: str

    @property
    def name(self) -> str:
        return self.student.name


async def _cell(world: World, role: Role) -> Cell:
    n = next(_serial)
    async with session_scope(world.sessions) as db:
        account = f"wx{n:05d}"
        world.fake.add_users(account)
        if role in (Role.STUDENT, Role.PEER_MENTOR):
            actor = await make_student(db, name=f"同学{n}", code=f"S{n:05d}", wecom=account)
        else:
            college = COLLEGE_OF.get(role, CS)
            actor = await make_staff(
                db, name=f"老师{n}", code=f"T{n:05d}", roles=(role,), college=college, wecom=account
            )
        team = {SEAT_OF[role]: actor} if role in SEAT_OF else {}
        if TeamRole.STUDENT_AFFAIRS not in team:
            team[TeamRole.STUDENT_AFFAIRS] = await make_staff(db, name=f"辅导{n}", code=f"F{n:05d}")
        student = await make_student(
            db,
            name=f"学生{n}号",
            code=f"2025{n:06d}",
            categories=("financial_hardship",),
            team=team,
        )
        opened = world.clock.now()
        db.add(CaseFile(student_id=student.id or 0, opened_at=opened, updated_at=opened))
    return Cell(actor, student, role, account)


Arrange = Callable[[World, Cell], Awaitable[str]]
"""Prepare what the action needs and return the line the actor says."""


async def _line(text: str) -> str:
    return text


async def _read_logs(world: World, cell: Cell) -> str:
    async with session_scope(world.sessions) as db:
        now = world.clock.now()
        db.add(
            VisitLog(
                student_id=cell.student.id or 0,
                author_id=cell.actor.id or 0,
                kind="谈心谈话",
                occurred_at=now - timedelta(hours=1),
                summary="聊了期末复习计划",
                created_at=now,
            )
        )
    return f"查看 {cell.name}"


async def _approve_closing(world: World, cell: Cell) -> str:
    async with session_scope(world.sessions) as db:
        closure = CaseClosure(
            student_id=cell.student.id or 0, reason="已毕业", created_at=world.clock.now()
        )
        db.add(closure)
        await db.flush()
    return f"批准 {closure.id}"


async def _approve_broadcast(world: World, cell: Cell) -> str:
    async with session_scope(world.sessions) as db:
        sender = await make_staff(db, code=f"B{next(_serial):05d}", roles=(Role.COLLEGE_ADMIN,))
    chat = Chat(world.client, sender.code)
    assert "收件人：1 人" in await chat.say(f"群发 学号={cell.student.code} 内容=明天开会")
    assert "批准" in await chat.say("确认发送")
    async with session_scope(world.sessions) as db:
        query = select(Broadcast.id).where(Broadcast.sender_id == sender.id)  # type: ignore[arg-type]
        number = (await db.exec(query)).one()
    return f"批准 {number}"


async def _alert(world: World, cell: Cell) -> str:
    config = world.settings.handler_config(("simulator",))
    async with session_scope(world.sessions) as db:
        ctx = Context(session=db, now=world.clock.now(), config=config)
        alert = await raise_alert(
            ctx, student_id=cell.student.id, raised_by=None, source="visit_log", detail="情绪低落"
        )
    if cell.role == Role.SCHOOL_ADMIN:  # school admins hear of it when it escalates
        async with session_scope(world.sessions) as db:
            later = world.clock.now() + config.alert_escalation + timedelta(minutes=1)
            await escalate_due(Context(session=db, now=later, config=config))
    return f"alert:ack:{alert.id}"


async def _aid_application(world: World, cell: Cell) -> str:
    async with session_scope(world.sessions) as db:
        teacher = await _student_affairs(db, cell.student)
        application = AidApplication(
            student_id=cell.student.id or 0,
            teacher_id=teacher,
            reason="家里困难",
            need="生活补助",
            created_at=world.clock.now(),
        )
        db.add(application)
        await db.flush()
    return f"同意 {application.id}"


async def _student_affairs(db: AsyncSession, student: Person) -> int:
    from storage.care import visits

    team = await visits.team_of(db, student.id or 0)
    return team[TeamRole.STUDENT_AFFAIRS].id or 0


def _say(template: str) -> Arrange:
    async def arrange(world: World, cell: Cell) -> str:
        return template.format(name=cell.name, code=cell.student.code)

    return arrange


@dataclass(frozen=True)
class Way:
    arrange: Arrange
    answer: str
    """What the normal answer holds (the student's name: `{name}`)."""
    button: bool = False


WAYS: dict[Action, Way] = {
    Action.VIEW_BASIC: Way(_say("查看 {name}"), "计科2301"),
    Action.VIEW_SENSITIVE: Way(_say("档案 {name}"), "{name}"),
    Action.LOG_VISIT: Way(_say("记录 {name}"), "帮扶记录"),
    Action.READ_LOGS: Way(_read_logs, "谈心谈话"),
    Action.EDIT_CASE_FILE: Way(_say("修改档案 {name} 问题"), "档案·问题"),
    Action.PROPOSE_CLOSING: Way(_say("建议撤销建档 {name} 已顺利毕业"), "{name}"),
    Action.APPROVE_CLOSING: Way(_approve_closing, "{name}"),
    Action.BROADCAST: Way(_say("群发 学号={code} 内容=明天开会"), "收件人：1 人"),
    Action.APPROVE_BROADCAST: Way(_approve_broadcast, "1 人"),
    Action.EXPORT_LEDGER: Way(_say("导出台账"), "台账"),
    Action.EXPORT_CASE_FILE: Way(_say("档案表 {name}"), "{name}"),
    Action.STATISTICS: Way(_say("统计"), "统计"),
    Action.HANDLE_ALERTS: Way(_alert, "已", button=True),
    Action.PUBLISH_JOBS: Way(_say("发布岗位"), "岗位"),
    Action.PUBLISH_AID: Way(_say("发布资助"), "资助"),
    Action.REVIEW_AID: Way(_aid_application, "{name}"),
    Action.RUN_SURVEYS: Way(_say("发起调查 毕业去向"), "调查"),
}
CELLS = [(role, action) for action in Action for role in ROLES]


async def _counts(world: World) -> dict[str, int]:
    tables = [t for t in SQLModel.metadata.sorted_tables if t.name not in NOT_STORED]
    async with world.sessions() as db:
        return {t.name: (await db.exec(select(func.count()).select_from(t))).one() for t in tables}


async def _audit_rows(world: World) -> int:
    async with world.sessions() as db:
        return (await db.exec(select(func.count()).select_from(AuditEntry))).one()


async def _send(world: World, code: str, line: str, *, button: bool) -> str:
    chat = Chat(world.client, code)
    return await (chat.press(line) if button else chat.say(line))


@pytest.mark.parametrize(("role", "action"), CELLS, ids=[f"{r}-{a}" for r, a in CELLS])
async def test_every_cell_is_allowed_or_refused_as_the_matrix_says(
    world: World, role: Role, action: Action
) -> None:
    cell = await _cell(world, role)
    way = WAYS[action]
    line = await way.arrange(world, cell)
    before, audited = await _counts(world), await _audit_rows(world)

    answer = await _send(world, cell.actor.code, line, button=way.button)

    if MATRIX[action][role] is Scope.NONE:
        assert "无权限" in answer, answer
        assert await _counts(world) == before
        assert await _audit_rows(world) > audited  # the refusal is on record
    else:
        assert "无权限" not in answer, answer
        assert way.answer.format(name=cell.name) in answer, answer
    await _settle(world)


async def _settle(world: World) -> None:
    """`批准 N` names a closing proposal or a broadcast: none left waiting for the next cell."""
    async with session_scope(world.sessions) as db:
        for closure in await db.exec(select(CaseClosure).where(CaseClosure.status == "pending")):
            closure.status = "rejected"
            db.add(closure)
        waiting = select(Broadcast).where(Broadcast.status == BroadcastStatus.AWAITING_APPROVAL)
        for broadcast in await db.exec(waiting):
            broadcast.status = BroadcastStatus.CANCELLED
            db.add(broadcast)


SCOPED = [
    (Role.PEER_MENTOR, "查看 {name}"),
    (Role.ACADEMIC_MENTOR, "查看 {name}"),
    (Role.ACADEMIC_MENTOR, "档案 {name}"),
    (Role.ACADEMIC_MENTOR, "记录 {name} 谈心谈话 聊了学习情况"),
    (Role.PEER_MENTOR, "记录 {name} 谈心谈话 聊了学习情况"),
    (Role.COUNSELLOR, "修改档案 {name} 问题"),
    (Role.ACADEMIC_MENTOR, "建议撤销建档 {name} 已顺利毕业"),
    (Role.COLLEGE_ADMIN, "查看 {name}"),
    (Role.COLLEGE_ADMIN, "档案表 {name}"),
]


@pytest.mark.parametrize(("role", "line"), SCOPED, ids=[f"{r}-{t.split()[0]}" for r, t in SCOPED])
async def test_outside_ones_scope_a_real_student_reads_as_one_who_does_not_exist(
    world: World, role: Role, line: str
) -> None:
    cell = await _cell(world, role)  # their own student, whom they may reach
    async with session_scope(world.sessions) as db:
        other = await make_student(db, name="外院生", code=f"2024{next(_serial):06d}", college=ARTS)
    await _send(world, cell.actor.code, "帮助", button=False)  # a student's first reply has more
    before = await _counts(world)

    outside = await _send(world, cell.actor.code, line.format(name=other.name), button=False)
    nobody = await _send(world, cell.actor.code, line.format(name="无此人"), button=False)

    assert "无权限" in outside
    assert outside.replace(other.name, "某某") == nobody.replace("无此人", "某某")
    assert await _counts(world) == before


WECOM_CELLS = [(ROLES[n % len(ROLES)], action) for n, action in enumerate(Action)]
"""Every action once and every role at least once, allowed and refused both among them."""


async def _over_wecom(world: World, cell: Cell, line: str, *, button: bool) -> str:
    """Say `line` as the actor's WeCom account: the passive reply and what was sent after."""
    if button:
        callback = world.callbacks.card_click(cell.account, line, task_id="t1", response_code="")
    else:
        callback = world.callbacks.text(cell.account, line)
    seen = len(world.fake.contents_for(cell.account))
    response = await world.wecom.post(
        "/wecom/callback", params=callback.params, content=callback.body
    )
    assert response.status_code == 200, response.text
    texts = []
    if response.content:
        texts.append(json.dumps(world.callbacks.open_reply(response.content), ensure_ascii=False))
    await world.app.state.outbox.drain()
    sent = world.fake.contents_for(cell.account)[seen:]
    texts += [c if isinstance(c, str) else json.dumps(c, ensure_ascii=False) for c in sent]
    return "\n".join(texts)


@pytest.mark.parametrize(("role", "action"), WECOM_CELLS, ids=[f"{r}-{a}" for r, a in WECOM_CELLS])
async def test_a_sample_of_cells_over_wecom_callbacks(
    world: World, role: Role, action: Action
) -> None:
    cell = await _cell(world, role)
    way = WAYS[action]
    line = await way.arrange(world, cell)
    await world.app.state.outbox.drain()  # what the arranging queued is not the answer
    before = await _counts(world)

    answer = await _over_wecom(world, cell, line, button=way.button)

    if MATRIX[action][role] is Scope.NONE:
        assert "无权限" in answer, answer
        assert await _counts(world) == before
    else:
        assert "无权限" not in answer, answer
        assert way.answer.format(name=cell.name) in answer, answer
    await _settle(world)
