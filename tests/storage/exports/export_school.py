"""A small school for the export tests: whose file was open in the autumn 2026 semester,
what help they had, which aid was decided, and the admins who may (or may not) export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AidApplication, CaseClosure, CaseFile, CaseProblem, Person, TeamRole
from storage.models import VisitLog as Log
from tests.fakes.roster import make_staff, make_student

SEMESTER = "2026-2027学年第一学期"  # 2026-09-07 .. 2027-01-17 in the shipped policy
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def at(month: int, day: int, year: int = 2026, hour: int = 2) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@dataclass
class School:
    ids: dict[str, int]
    people: dict[str, Person]


async def build_school(session: AsyncSession) -> School:
    """S001 张三 (家庭经济困难 + 孤儿, 重点关注, full team, logs, aid), S002 李四 (生理缺陷,
    closed in October), S003 王五 (文学院, 心理异常), S004 赵六 (closed before the semester),
    S005 孙七 (a category, no case file); admins A001 (计算机学院), A002 (文学院), A900 (school)."""
    wang = await make_staff(session, name="王芳", code="T001", phone="13900000001")
    li = await make_staff(
        session, name="李老师", code="T002", roles=("academic_mentor",), phone="13800000002"
    )
    admins = [
        await make_staff(session, name="周院长", code="A001", roles=("college_admin",)),
        await make_staff(
            session, name="吴院长", code="A002", roles=("college_admin",), college="文学院"
        ),
        await make_staff(session, name="钱校长", code="A900", roles=("school_admin",)),
    ]
    peer = await make_student(session, name="李同学", code="P001", phone="13700000003")
    team = {
        TeamRole.ACADEMIC_MENTOR: li,
        TeamRole.STUDENT_AFFAIRS: wang,
        TeamRole.PEER_MENTOR: peer,
    }
    zhang = await make_student(
        session,
        name="张三",
        code="S001",
        categories=("financial_hardship", "orphan"),
        key_attention=True,
        phone="13500000001",
        guardian_phone="13500000009",
        team=team,
    )
    zhang.guardian_name, zhang.native_place, zhang.birth_date = (
        "张父",
        "江西赣州",
        date(2005, 12, 1),
    )
    lisi = await make_student(
        session, name="李四", code="S002", categories=("physical_condition",), team=team
    )
    wangwu = await make_student(
        session, name="王五", code="S003", categories=("psychological",), college="文学院"
    )
    zhao = await make_student(session, name="赵六", code="S004", categories=("financial_hardship",))
    sun = await make_student(session, name="孙七", code="S005", categories=("financial_hardship",))
    await _cases(session, zhang=zhang, lisi=lisi, wangwu=wangwu, zhao=zhao, teacher=wang)
    await _help(session, zhang=zhang, wang=wang, li=li, peer=peer)
    await session.commit()
    people = [wang, li, *admins, peer, zhang, lisi, wangwu, zhao, sun]
    return School({p.code: p.id or 0 for p in people}, {p.code: p for p in people})


async def _cases(
    session: AsyncSession,
    *,
    zhang: Person,
    lisi: Person,
    wangwu: Person,
    zhao: Person,
    teacher: Person,
) -> None:
    opened = at(9, 1)
    session.add_all(
        [
            CaseFile(
                student_id=zhang.id or 0,
                counsellor_id=teacher.id,
                opened_at=opened,
                updated_at=opened,
                problem_type="经济困难",
                problem_description="单亲，收入低",
                life_history="父亲务农",
                plan_academic="每周辅导一次",
                plan_financial="申请国家助学金",
            ),
            CaseFile(
                student_id=lisi.id or 0,
                opened_at=opened,
                updated_at=opened,
                status="closed",
                closed_at=at(10, 15),
            ),
            CaseFile(student_id=wangwu.id or 0, opened_at=opened, updated_at=opened),
            CaseFile(
                student_id=zhao.id or 0,
                opened_at=at(3, 1),
                updated_at=opened,
                status="closed",
                closed_at=at(6, 1),
            ),
            CaseProblem(
                student_id=zhang.id or 0,
                category_code="financial_hardship",
                description="父母务农，家庭年收入不足两万",
                updated_at=opened,
            ),
            CaseProblem(
                student_id=lisi.id or 0,
                category_code="physical_condition",
                description="先天性心脏病",
                verification="已核实病历",
                updated_at=opened,
            ),
        ]
    )
    await session.flush()


async def _help(
    session: AsyncSession, *, zhang: Person, wang: Person, li: Person, peer: Person
) -> None:
    sid = zhang.id or 0
    logs = [
        Log(
            student_id=sid,
            author_id=wang.id or 0,
            kind="谈心谈话",
            occurred_at=at(6, 10),
            place="办公室",
            summary="上学期的谈话",
            effect="有所恶化",
            created_at=at(6, 10),
        ),
        Log(
            student_id=sid,
            author_id=wang.id or 0,
            kind="谈心谈话",
            occurred_at=at(9, 20),
            place="办公室",
            summary="了解家庭情况",
            effect="保持稳定",
            created_at=at(9, 20),
        ),
        Log(
            student_id=sid,
            author_id=li.id or 0,
            kind="走访寝室",
            occurred_at=at(10, 8),
            place="寝室",
            summary="寝室整洁",
            effect=None,
            created_at=at(10, 8),
        ),
        Log(
            student_id=sid,
            author_id=peer.id or 0,
            kind="谈心谈话",
            occurred_at=at(11, 2),
            place="食堂",
            summary="一起吃饭聊天",
            effect="有所改善",
            follow_up="下周再聊",
            created_at=at(11, 2),
        ),
    ]
    aid = [
        AidApplication(
            student_id=sid,
            teacher_id=wang.id,
            status="approved",
            decided_by=wang.id,
            decided_at=at(10, 1),
            created_at=at(9, 28),
        ),
        AidApplication(student_id=sid, teacher_id=wang.id, status="pending", created_at=at(11, 1)),
    ]
    closure = CaseClosure(
        student_id=sid, proposer_id=li.id, reason="明显好转", created_at=at(11, 3)
    )
    session.add_all([*logs, *aid, closure])
    await session.flush()
