"""Shared pieces of the case-file flow tests: a small college with one student-affairs teacher,
and the stored case file read back for assertions."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry, CaseFile, CaseProblem, TeamRole
from tests.fakes.roster import make_staff, make_student


async def college(session: AsyncSession) -> dict[str, int]:
    """T001 王芳 is the student-affairs teacher of S001 张三 (家庭经济困难, 生理缺陷) and S002
    李四 (心理异常); M001 刘导师 is 张三's academic mentor, P001 李同学 his peer mentor; T002 陈敏
    is a counsellor of the college without a seat; A001 the college's admin, A002 文学院's;
    S003 王五 (文学院) has T003 赵老师 as his teacher."""
    teacher = await make_staff(session, name="王芳", code="T001", roles=("counsellor",))
    other = await make_staff(session, name="陈敏", code="T002", roles=("counsellor",))
    mentor = await make_staff(session, name="刘导师", code="M001", roles=("academic_mentor",))
    admin = await make_staff(session, name="周院长", code="A001", roles=("college_admin",))
    far = await make_staff(
        session, name="孙院长", code="A002", roles=("college_admin",), college="文学院"
    )
    literature = await make_staff(session, name="赵老师", code="T003", college="文学院")
    peer = await make_student(session, name="李同学", code="P001")
    zhang = await make_student(
        session,
        name="张三",
        code="S001",
        categories=("financial_hardship", "physical_condition"),
        team={
            TeamRole.STUDENT_AFFAIRS: teacher,
            TeamRole.ACADEMIC_MENTOR: mentor,
            TeamRole.PEER_MENTOR: peer,
        },
    )
    li = await make_student(
        session,
        name="李四",
        code="S002",
        class_name="计科2302",
        categories=("psychological",),
        team={TeamRole.STUDENT_AFFAIRS: teacher},
    )
    wang = await make_student(
        session,
        name="王五",
        code="S003",
        college="文学院",
        categories=("other",),
        team={TeamRole.STUDENT_AFFAIRS: literature},
    )
    await session.commit()
    people = (teacher, other, mentor, admin, far, literature, peer, zhang, li, wang)
    return {person.code: person.id for person in people if person.id is not None}


async def stored_file(session: AsyncSession, student_id: int) -> CaseFile | None:
    await session.rollback()  # a fresh look at what the service committed
    query = select(CaseFile).where(CaseFile.student_id == student_id)
    return (await session.exec(query)).first()


async def stored_problems(
    session: AsyncSession, student_id: int
) -> dict[str, tuple[str | None, str | None]]:
    query = select(CaseProblem).where(CaseProblem.student_id == student_id)
    rows = (await session.exec(query)).all()
    return {row.category_code: (row.description, row.verification) for row in rows}


async def audit_actions(session: AsyncSession) -> list[tuple[str, int | None, int | None]]:
    query = select(AuditEntry).order_by(col(AuditEntry.id))
    rows = (await session.exec(query)).all()
    return [(row.action, row.actor_id, row.subject_id) for row in rows]
