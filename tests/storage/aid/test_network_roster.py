"""The student sheet's 学生干部 column: 心理委员 and 寝室长 become roles (the class and dorm
level of the four-level network); staff roles are refused there, and a change is listed with
the student's other fields, not as a staff role change."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Role
from storage.people.queries import find_by_code
from storage.people.roles import roles_of
from tests.fakes.roster_files import import_errors, import_files, student, team, write_xlsx


async def _roles(session: AsyncSession, code: str) -> frozenset[str]:
    person = await find_by_code(session, code)
    assert person is not None and person.id is not None
    return (await roles_of(session, [person.id]))[person.id]


async def test_student_cadre_roles_are_imported_and_changes_are_listed(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    rows = [
        student("2023001", 学生干部="心理委员"),
        student("2023002", 学生干部="寝室长、心理委员"),
        student("2023003"),
    ]
    first = await import_files(
        sessions, write_xlsx(tmp_path / "a.xlsx", students=rows, staff_rows=team())
    )

    assert Role.PSYCH_COMMITTEE in await _roles(session, "2023001")
    assert {Role.PSYCH_COMMITTEE, Role.DORM_HEAD} <= await _roles(session, "2023002")
    assert await _roles(session, "2023003") == {Role.STUDENT}
    assert all(change.code.startswith("T") for change in first.roles)

    rows = [student("2023001", 学生干部="（清空）"), student("2023003", 学生干部="寝室长")]
    second = await import_files(sessions, write_xlsx(tmp_path / "b.xlsx", students=rows))
    await session.rollback()

    assert await _roles(session, "2023001") == {Role.STUDENT}
    assert Role.DORM_HEAD in await _roles(session, "2023003")
    assert second.roles == ()
    shown = {
        (change.code, field.column, field.old, field.new)
        for change in second.changes
        for field in change.fields
    }
    assert ("2023001", "学生干部", "心理委员", None) in shown
    assert ("2023003", "学生干部", None, "寝室长") in shown


async def test_staff_roles_are_refused_in_the_student_column(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    rows = [student("2023001", 学生干部="学校管理员")]
    errors = await import_errors(sessions, write_xlsx(tmp_path / "a.xlsx", students=rows))

    assert any("学校管理员" in error and "心理委员" in error for error in errors), errors
