"""Roles: the roster's stored roles plus `student` and `peer_mentor`, derived in one place."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import PersonRole, Role
from storage.people import roles
from storage.people.accounts import account_key
from storage.people.identify import identify
from storage.people.roles import people_with_role, roles_of, with_derived
from tests.fakes.roster import make_staff, make_student
from tests.fakes.roster_files import import_files, student, write_xlsx


def test_students_are_students_and_peer_mentors_only_with_a_seat() -> None:
    assert with_derived((), kind="student", peer_seat=False) == {Role.STUDENT}
    assert with_derived((), kind="student", peer_seat=True) == {Role.STUDENT, Role.PEER_MENTOR}
    # a stray stored row grants nothing: the seat decides
    assert with_derived(("peer_mentor",), kind="student", peer_seat=False) == {Role.STUDENT}
    assert with_derived(("counsellor", "peer_mentor"), kind="staff", peer_seat=True) == {
        Role.COUNSELLOR
    }


def test_an_account_key_ignores_case_and_edges() -> None:
    assert account_key("  ZhangSan\t") == "zhangsan" == account_key("zhangsan")


async def test_people_with_role_covers_stored_and_derived_roles(session: AsyncSession) -> None:
    here = await make_staff(session, roles=("college_admin",), college="外国语学院")
    there = await make_staff(session, roles=("college_admin",), college="计算机学院")
    peer = await make_student(session, code="2022001")
    other = await make_student(session, code="2022002", college="外国语学院")
    await make_student(session, code="2023001", team={"peer_mentor": peer})
    await session.commit()

    assert await people_with_role(session, Role.COLLEGE_ADMIN) == sorted([here.id, there.id])
    assert await people_with_role(session, Role.COLLEGE_ADMIN, college="外国语学院") == [here.id]
    assert await people_with_role(session, Role.PEER_MENTOR) == [peer.id]
    assert other.id in await people_with_role(session, Role.STUDENT)


async def test_clearing_the_peer_seat_ends_the_role_at_once(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await make_staff(session, code="T9", roles=("academic_mentor",))
    await make_staff(session, code="T8", roles=("class_teacher",))
    peer = await make_student(session, code="2022009", wecom="Peer9")
    await session.commit()
    seated = student("2023001", 学业导师="T9", 学工教师="T8", 朋辈导师="2022009")
    await import_files(sessions, write_xlsx(tmp_path / "a.xlsx", students=[seated]))
    found = await identify(session, channel="wecom", account="peer9")
    assert found is not None and Role.PEER_MENTOR in found.roles

    cleared = seated | {"朋辈导师": "（清空）"}
    await import_files(sessions, write_xlsx(tmp_path / "b.xlsx", students=[cleared]))

    await session.commit()  # end the read snapshot of the first look
    found = await identify(session, channel="wecom", account="PEER9")
    assert found is not None and found.roles == {Role.STUDENT}
    assert (await roles_of(session, [peer.id or 0]))[peer.id or 0] == {Role.STUDENT}
    assert (
        await session.exec(select(PersonRole).where(PersonRole.role == "peer_mentor"))
    ).all() == []


async def test_roles_of_many_people_are_read_in_chunks(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = [await make_staff(session, roles=("counsellor",)) for _ in range(3)]
    peer = await make_student(session, code="2022001")
    await make_student(session, code="2023001", team={"peer_mentor": peer})
    await session.commit()
    ids = [p.id or 0 for p in (*staff, peer)]
    whole = await roles_of(session, ids)

    monkeypatch.setattr(roles, "CHUNK", 2)  # asyncpg's parameter limit, in small

    assert await roles_of(session, ids) == whole
    assert whole[peer.id or 0] == {Role.STUDENT, Role.PEER_MENTOR} and len(whole) == 4
