"""Bad rosters: every problem is reported as `第N行 列名: 原因` and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Category, PersonKind
from storage.people.categories import load_categories
from storage.roster.fields import ROLE_NAMES
from storage.roster.importer import KindCounts, RosterError
from storage.roster.rows import UNKNOWN_CATEGORY, UNKNOWN_ROLE
from storage.roster.source import BAD_WORKBOOK
from tests.fakes.roster import make_staff, make_student
from tests.fakes.roster_files import (
    STAFF_HEADER,
    STUDENT_HEADER,
    Row,
    import_errors,
    import_files,
    row_counts,
    staff,
    student,
    team,
    write_xlsx,
)


def unknown_category(values: str) -> str:
    known = "、".join(category.name for category in load_categories())
    return UNKNOWN_CATEGORY.format(values=values, known=known, separators="、 , ，")


def unknown_role(values: str) -> str:
    known = "、".join(ROLE_NAMES)
    return UNKNOWN_ROLE.format(values=values, known=known, separators="、 , ，")


GOOD = student("2023001", 企业微信账号="ZhangSan", 学业导师="T1")

BAD_STUDENTS = {
    "unknown category": ({"类别": "孤儿、孤独"}, "类别: " + unknown_category("「孤独」")),
    "bad gender": ({"性别": "M"}, "性别: 应为「男」或「女」，而不是「M」"),
    "missing required": ({"学院": None}, "学院: 必填，不能为空"),
    "blank required": ({"班级": "  "}, "班级: 必填，不能为空"),
    "impossible date": (
        {"出生日期": "2005-02-30"},
        "出生日期: 无法识别的日期「2005-02-30」，请写成 2005-03-01",
    ),
    "words for a date": (
        {"出生日期": "三月一日"},
        "出生日期: 无法识别的日期「三月一日」，请写成 2005-03-01",
    ),
    "bad year": (
        {"预计毕业年份": "27届"},
        "预计毕业年份: 无效的年份「27届」，请写四位数年份，如 2027",
    ),
    "bad flag": ({"重点关注": "Y"}, "重点关注: 应为「是」或「否」，而不是「Y」"),
    "bad phone": ({"家长电话": "138 0000 abcd"}, "家长电话: 无效的电话号码「138 0000 abcd」"),
    "too long": ({"姓名": "长" * 65}, "姓名: 超过 64 个字符"),
    "space in code": ({"学号": "2023 009"}, "学号: 不能包含空格「2023 009」"),
    "duplicate code": ({"学号": "2023001"}, "学号: 「2023001」重复，已在学生 第2行出现"),
    "mentor without the role": (
        {"学业导师": "T2"},
        "学业导师: 工号「T2」没有「学业导师」角色",
    ),
    "teacher not counsellor": (
        {"学工教师": "T1"},
        "学工教师: 工号「T1」既不是辅导员也不是班主任",
    ),
    "unknown staff": ({"学业导师": "T404"}, "学业导师: 找不到工号为「T404」的教职工"),
    "student as teacher": ({"学工教师": "2023001"}, "学工教师: 「2023001」是学生，不是教职工"),
    "self as peer": ({"朋辈导师": "2023009"}, "朋辈导师: 不能是学生本人"),
    "staff as peer": ({"朋辈导师": "T1"}, "朋辈导师: 「T1」是教职工，不是学生"),
    "unknown peer": ({"朋辈导师": "2099999"}, "朋辈导师: 找不到学号为「2099999」的学生"),
    "account twice": (
        {"企业微信账号": "zhangsan"},
        "企业微信账号: 账号「zhangsan」重复，已在学生 第2行出现",
    ),
}


@pytest.mark.parametrize("values, message", BAD_STUDENTS.values(), ids=BAD_STUDENTS.keys())
async def test_bad_student_row_is_reported_and_nothing_is_written(
    values: Row,
    message: str,
    tmp_path: Path,
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
) -> None:
    rows = [GOOD, student("2023009") | values, student("2023010")]
    path = write_xlsx(tmp_path / "名单.xlsx", students=rows, staff_rows=team())
    before = await row_counts(engine)

    assert await import_errors(sessions, path) == [f"学生 第3行 {message}"]
    assert await row_counts(engine) == before


BAD_STAFF = {
    "unknown role": ({"角色": "辅导员、校长"}, "角色: " + unknown_role("「校长」")),
    "no role": ({"角色": None}, "角色: 必填，不能为空"),
    "only separators": ({"角色": "、"}, "角色: 必填，不能为空"),
    "duplicate code": ({"工号": "T1"}, "工号: 「T1」重复，已在第2行出现"),
    "missing name": ({"姓名": ""}, "姓名: 必填，不能为空"),
}


@pytest.mark.parametrize("values, message", BAD_STAFF.values(), ids=BAD_STAFF.keys())
async def test_bad_staff_row_is_reported(
    values: Row, message: str, tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    rows = [*team(), staff("T4") | values]
    path = write_xlsx(tmp_path / "教职工.xlsx", staff_rows=rows)

    assert await import_errors(sessions, path) == [f"第5行 {message}"]


async def test_every_error_is_listed_in_sheet_and_row_order(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    students = [
        student("2023001", 性别="M", 类别="孤独、网瘾"),
        GOOD,
        student("2023003", 出生日期="2005-13-01", 学业导师="T9"),
    ]
    staff_rows = [staff("T0", 角色="校长"), *team()]
    path = write_xlsx(tmp_path / "名单.xlsx", students=students, staff_rows=staff_rows)

    assert await import_errors(sessions, path) == [
        "学生 第2行 性别: 应为「男」或「女」，而不是「M」",
        "学生 第2行 类别: " + unknown_category("「孤独」「网瘾」"),
        "学生 第3行 学号: 「2023001」重复，已在学生 第2行出现",
        "学生 第4行 出生日期: 无法识别的日期「2005-13-01」，请写成 2005-03-01",
        "学生 第4行 学业导师: 找不到工号为「T9」的教职工",
        "教职工 第2行 角色: " + unknown_role("「校长」"),
    ]


async def test_account_held_by_someone_else_in_the_database_is_refused(
    tmp_path: Path,
    sessions: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    engine: AsyncEngine,
) -> None:
    await make_staff(session, code="T7", dingtalk="ding-T7")
    await session.commit()
    before = await row_counts(engine)
    path = write_xlsx(tmp_path / "s.xlsx", students=[student("2023001", 钉钉账号="DING-t7")])

    errors = await import_errors(sessions, path)

    assert errors == ["第2行 钉钉账号: 账号「DING-t7」已被数据库中的「T7」使用"]
    assert await row_counts(engine) == before


async def test_a_code_stored_as_the_other_kind_is_refused(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await make_student(session, code="T7")
    await session.commit()
    path = write_xlsx(tmp_path / "t.xlsx", staff_rows=[staff("T7")])

    assert await import_errors(sessions, path) == [
        "第2行 工号: 「T7」在数据库中是学生，不能作为教职工导入"
    ]


async def test_mentor_in_the_database_without_the_role_is_refused(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await make_staff(session, code="T7", roles=("counsellor",))
    await session.commit()
    path = write_xlsx(tmp_path / "s.xlsx", students=[student("2023001", 学业导师="T7")])

    assert await import_errors(sessions, path) == ["第2行 学业导师: 工号「T7」没有「学业导师」角色"]


async def test_mistyped_column_is_an_error_not_dropped_data(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    header = [*STUDENT_HEADER, "学业导师1"]
    rows = [student("2023001") | {"学业导师1": "T1"}]
    path = write_xlsx(tmp_path / "s.xlsx", students=rows, student_header=header)

    assert await import_errors(sessions, path) == [
        "第1行 学业导师1: 未知的列名，请按模板改名；不需要的列请删除",
    ]


async def test_repeated_and_unnamed_columns_are_errors(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    header = [*STAFF_HEADER, "姓名", None]
    rows = [staff("T1") | {None: "备注"}]
    path = write_xlsx(tmp_path / "t.xlsx", staff_rows=rows, staff_header=header)  # type: ignore[arg-type]

    assert await import_errors(sessions, path) == [
        "第1行 姓名: 列名重复",
        "第2行 第9列: 该列有数据但没有列名",
    ]


async def test_required_mark_and_spaces_around_header_names_are_accepted(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    header = [f" {name}* " if name in ("工号", "姓名") else name for name in STAFF_HEADER]
    rows = [{f" {k}* " if k in ("工号", "姓名") else k: v for k, v in staff("T1").items()}]
    path = write_xlsx(tmp_path / "t.xlsx", staff_rows=rows, staff_header=header)

    report = await import_files(sessions, path)

    assert report.kinds == {PersonKind.STAFF: KindCounts(created=1)}


async def test_unreadable_files_are_named(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a zip")
    other = tmp_path / "other.xlsx"
    workbook = Workbook()
    workbook.active.append(["学号", "姓名"])
    workbook.save(other)

    with pytest.raises(RosterError) as caught:
        await import_files(sessions, old, broken, other, tmp_path / "missing.csv")

    assert caught.value.errors == [
        f"old.xls: {BAD_WORKBOOK}",
        f"broken.xlsx: {BAD_WORKBOOK}",
        "missing.csv: 文件不存在",
    ]
    [empty] = caught.value.empty
    assert (empty.name, empty.sheets, empty.read) == ("other.xlsx", (("Sheet", None),), [])


async def test_the_category_hint_keeps_policy_order_however_the_table_is_stored(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # A rewritten row moves to the end of the table (PostgreSQL's heap, SQLite's rowid),
    # so the hint must ask for the policy order, not take the table's.
    async with sessions() as session:
        first = await session.get(Category, load_categories()[0].code)
        assert first is not None
        kept = first.model_dump()
        await session.delete(first)
        await session.flush()
        session.add(Category(**kept))
        await session.commit()
    rows = [GOOD, student("2023009", 类别="孤独")]
    path = write_xlsx(tmp_path / "名单.xlsx", students=rows, staff_rows=team())

    assert await import_errors(sessions, path) == [
        "学生 第3行 类别: " + unknown_category("「孤独」")
    ]
