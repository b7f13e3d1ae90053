"""Header names as people write them: README's own, required marks, spaces and line breaks,
bracketed notes, a few aliases, and harmless extra columns."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Assignment, MessengerAccount, Person, PersonKind
from storage.roster.importer import KindCounts
from tests.fakes.roster_files import (
    STAFF_HEADER,
    STUDENT_HEADER,
    Row,
    import_errors,
    import_files,
    student,
    table,
    team,
    write_workbook,
)

# As README's 名单格式 lists them, and as a clerk types them.
WRITTEN = {
    "学号": "学号（必填）",
    "姓名": "姓 名*",
    "性别": "性别＊",
    "学院": "学\n院",
    "班级": "班　级",
    "重点关注": "重点关注（是/否）",
    "学业导师": "学业导师（工号）",
    "学工教师": "学工教师【工号】",
    "朋辈导师": "朋辈导师(学号)",
    "联系电话": "手机号码",
    "企业微信账号": "企业微信",
    "钉钉账号": "钉钉号",
}


def written(header: Sequence[str], rows: list[Row], names: dict[str, str]) -> list[list[object]]:
    """The rows under a header whose names are spelled as in `names`."""
    cells = table(header, rows)
    return [[names.get(name, name) for name in header], *cells[1:]]


async def test_headers_as_people_write_them_are_read_as_the_template_columns(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    row = student(
        "2023001",
        重点关注="是",
        学业导师="T1",
        学工教师="T2",
        联系电话="13800001111",
        企业微信账号="Zhang.San",
        钉钉账号="zhangsan01",
    )
    sheets = {
        "学生": written(STUDENT_HEADER, [row], WRITTEN),
        "教职工": written(STAFF_HEADER, team(), {"工号": "工号*", "联系电话": "手机"}),
    }

    report = await import_files(sessions, write_workbook(tmp_path / "a.xlsx", sheets))

    assert report.kinds[PersonKind.STUDENT] == KindCounts(created=1)
    person = (await session.exec(select(Person).where(Person.code == "2023001"))).one()
    assert (person.name, person.college, person.class_name, person.key_attention, person.phone) == (
        ("学生2023001", "计算机学院", "计科2301", True, "13800001111")
    )
    seats = await session.exec(select(Assignment.role).where(Assignment.student_id == person.id))
    assert sorted(seats.all()) == ["academic_mentor", "student_affairs"]
    accounts = await session.exec(
        select(MessengerAccount.channel, MessengerAccount.account).where(
            MessengerAccount.person_id == person.id
        )
    )
    assert sorted(accounts.all()) == [("dingtalk", "zhangsan01"), ("wecom", "Zhang.San")]
    counsellor = (await session.exec(select(Person).where(Person.code == "T2"))).one()
    assert counsellor.phone == "13900000002"


async def test_numbering_and_remark_columns_are_ignored_with_a_note(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    header = ["序号", *STUDENT_HEADER, "备注（选填）", "说明"]
    rows = [student("2023001") | {"序号": 1, "备注（选填）": "转专业", "说明": "无"}]
    path = write_workbook(tmp_path / "a.xlsx", {"学生": table(header, rows)})

    report = await import_files(sessions, path)

    assert report.kinds == {PersonKind.STUDENT: KindCounts(created=1)}
    assert report.notes == ("已忽略列：序号、备注、说明",)


async def test_a_bracketed_note_is_dropped_only_when_it_leaves_a_known_column(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    header = [*STUDENT_HEADER, "民族（汉族填汉）", "学号*"]
    path = write_workbook(tmp_path / "a.xlsx", {"学生": table(header, [student("2023001")])})

    assert await import_errors(sessions, path) == [
        "第1行 民族（汉族填汉）: 未知的列名，请按模板改名；不需要的列请删除",
        "第1行 学号: 列名重复",
    ]
