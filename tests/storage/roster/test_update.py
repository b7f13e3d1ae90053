"""Re-importing: a blank cell keeps the stored value, （清空） clears it, and the report lists
every field and role that changes (sensitive values masked)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Assignment,
    MessengerAccount,
    Person,
    PersonKind,
    Role,
    StudentCategory,
)
from storage.roster.changes import FieldChange, PersonChange, RoleChange
from storage.roster.checks import LEADING_ZEROS, NO_STAFF_ZEROS
from storage.roster.fields import MERGED_BLANK, MISSING, NOT_CLEARABLE
from storage.roster.importer import KindCounts, grouped
from storage.roster.rows import build_records
from storage.roster.sheet import Issue, Sheet, Ticker
from tests.fakes.roster import make_staff
from tests.fakes.roster_files import (
    STUDENT_HEADER,
    import_errors,
    import_files,
    row_counts,
    staff,
    student,
    team,
    write_xlsx,
)

FULL = student(
    "2023001",
    姓名="张三",
    联系电话="13900000001",
    家长姓名="张建国",
    籍贯="湖南长沙",
    出生日期="2005-03-01",
    类别="孤儿、残疾",
    重点关注="是",
    学业导师="T1",
    学工教师="T2",
    企业微信账号="ZhangSan",
)
SILENT = (
    "联系电话",
    "家长姓名",
    "籍贯",
    "出生日期",
    "类别",
    "重点关注",
    "学业导师",
    "企业微信账号",
)


async def _zhang(session: AsyncSession) -> tuple[Person, set[str], set[str], set[str]]:
    person = (await session.exec(select(Person).where(Person.code == "2023001"))).one()
    categories = await session.exec(
        select(StudentCategory.category_code).where(StudentCategory.student_id == person.id)
    )
    seats = await session.exec(select(Assignment.role).where(Assignment.student_id == person.id))
    accounts = await session.exec(
        select(MessengerAccount.account).where(MessengerAccount.person_id == person.id)
    )
    return person, set(categories.all()), set(seats.all()), set(accounts.all())


async def test_blank_cells_keep_every_stored_value(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await import_files(
        sessions, write_xlsx(tmp_path / "a.xlsx", students=[FULL], staff_rows=team())
    )
    partial = FULL | dict.fromkeys(SILENT)

    report = await import_files(sessions, write_xlsx(tmp_path / "b.xlsx", students=[partial]))

    assert report.kinds[PersonKind.STUDENT] == KindCounts(unchanged=1, absent=0)
    assert report.changes == ()
    person, categories, seats, accounts = await _zhang(session)
    assert (person.phone, person.guardian_name, person.native_place) == (
        "13900000001",
        "张建国",
        "湖南长沙",
    )
    assert (person.birth_date, person.key_attention) == (date(2005, 3, 1), True)
    assert categories == {"orphan", "disabled"}
    assert seats == {"academic_mentor", "student_affairs"}
    assert accounts == {"ZhangSan"}


async def test_the_clear_marker_clears_each_value(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await import_files(
        sessions, write_xlsx(tmp_path / "a.xlsx", students=[FULL], staff_rows=team())
    )
    cleared = FULL | dict.fromkeys(SILENT, "（清空）")

    report = await import_files(sessions, write_xlsx(tmp_path / "b.xlsx", students=[cleared]))

    assert report.kinds[PersonKind.STUDENT] == KindCounts(updated=1)
    person, categories, seats, accounts = await _zhang(session)
    assert (person.phone, person.guardian_name, person.native_place, person.birth_date) == (
        None,
        None,
        None,
        None,
    )
    assert person.key_attention is False
    assert (categories, seats, accounts) == (set(), {"student_affairs"}, set())


async def test_a_new_person_with_blank_cells_gets_the_defaults(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    rows = [student("2023002", 重点关注=None, 类别="（清空）")]
    await import_files(sessions, write_xlsx(tmp_path / "a.xlsx", students=rows))

    person = (await session.exec(select(Person).where(Person.code == "2023002"))).one()
    assert (person.key_attention, person.phone, person.grade) == (False, None, None)


async def test_a_required_column_cannot_be_cleared(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", students=[student("2023001", 班级="（清空）")])
    before = await row_counts(engine)

    assert await import_errors(sessions, path) == [f"第2行 班级: {NOT_CLEARABLE}"]
    assert await row_counts(engine) == before


async def test_the_report_lists_every_changed_field_with_sensitive_values_masked(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await import_files(
        sessions, write_xlsx(tmp_path / "a.xlsx", students=[FULL], staff_rows=team())
    )
    changed = FULL | {
        "学院": "机械学院",
        "联系电话": "13900000009",
        "家长姓名": "李桂兰",
        "类别": "孤儿",
        "重点关注": "否",
        "学业导师": "（清空）",
        "企业微信账号": "ZhangSan2",
        "寝室": "东区3栋201",
    }

    report = await import_files(
        sessions, write_xlsx(tmp_path / "b.xlsx", students=[changed]), dry_run=True
    )

    hidden = [FieldChange(name, None, None, hidden=True) for name in ("类别", "重点关注")]
    assert report.changes == (
        PersonChange(
            PersonKind.STUDENT,
            "2023001",
            "张三",
            (
                FieldChange("学院", "计算机学院", "机械学院"),
                FieldChange("寝室", None, "东区3栋201"),
                FieldChange("联系电话", "139****0001", "139****0009"),
                FieldChange("家长姓名", "张**", "李**"),
                *hidden,
                FieldChange("学业导师", "T1", None),
                FieldChange("企业微信账号", "ZhangSan", "ZhangSan2"),
            ),
        ),
    )


async def test_role_changes_name_who_gains_and_loses_which_role(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await import_files(sessions, write_xlsx(tmp_path / "a.xlsx", staff_rows=team()))
    rows = [
        staff("T1", 角色="学业导师、学校管理员"),
        staff("T2", 角色="辅导员"),
        staff("T3", 角色="班主任"),
        staff("T4", 角色="心理中心"),
    ]

    report = await import_files(sessions, write_xlsx(tmp_path / "b.xlsx", staff_rows=rows))

    assert report.roles == (
        RoleChange("T4", "教师T4", (Role.PSYCH_CENTER,), (), new=True),
        RoleChange("T1", "教师T1", (Role.SCHOOL_ADMIN,), (), new=False),
        RoleChange("T2", "教师T2", (), (Role.COLLEGE_ADMIN,), new=False),
    )


async def test_a_code_that_differs_only_by_leading_zeros_is_refused(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await make_staff(session, code="00123", roles=("academic_mentor",))
    await session.commit()
    rows = [staff("123", 角色="学业导师"), staff("0456"), staff("456")]
    path = write_xlsx(tmp_path / "a.xlsx", staff_rows=rows)

    assert await import_errors(sessions, path) == [
        "第2行 工号: " + LEADING_ZEROS.format(code="123", where="数据库中", other="00123"),
        "第4行 工号: " + LEADING_ZEROS.format(code="456", where="第3行", other="0456"),
    ]


async def test_a_reference_that_lost_its_leading_zeros_names_the_stored_code(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    await make_staff(session, code="00123", roles=("academic_mentor",))
    await session.commit()
    path = write_xlsx(tmp_path / "a.xlsx", students=[student("2023001", 学业导师=123.0)])

    assert await import_errors(sessions, path) == [
        "第2行 学业导师: " + NO_STAFF_ZEROS.format(code="123", other="00123")
    ]


async def test_the_same_problem_down_a_column_is_one_line_with_its_rows(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    rows = [student(f"2023{n:03d}", 类别="请选择") for n in range(180)]
    rows[50] = rows[50] | {"性别": "M"}
    path = write_xlsx(tmp_path / "a.xlsx", students=rows)

    errors = await import_errors(sessions, path)

    assert len(errors) == 2
    assert errors[0].startswith("第2-181行 类别: 未知类别「请选择」；可选：")
    assert errors[0].endswith("（共 180 行）")
    assert errors[1] == "第52行 性别: 应为「男」或「女」，而不是「M」"


def test_grouping_keeps_different_problems_and_file_level_lines_apart() -> None:
    issues = [
        Issue(0, 0, 0, 0, "a.csv: 文件不存在"),
        Issue(1, 0, 3, 2, "第3行 性别: 应为「男」或「女」，而不是「M」"),
        Issue(1, 0, 4, 2, "第4行 性别: 应为「男」或「女」，而不是「M」"),
        Issue(1, 0, 5, 2, "第5行 性别: 应为「男」或「女」，而不是「F」"),
        Issue(1, 0, 7, 2, "第7行 性别: 应为「男」或「女」，而不是「M」"),
        Issue(1, 0, 4, 3, "第4行 学院: 必填，不能为空"),
    ]

    assert grouped(issues) == [
        "a.csv: 文件不存在",
        "第3-4、7行 性别: 应为「男」或「女」，而不是「M」（共 3 行）",
        "第4行 学院: 必填，不能为空",
        "第5行 性别: 应为「男」或「女」，而不是「F」",
    ]


@pytest.mark.parametrize("merged, reason", [(None, MISSING), ("F3:F5", MERGED_BLANK)])
def test_a_blank_required_cell_inside_a_merged_range_says_so(
    merged: str | None, reason: str
) -> None:
    header: list[object] = list(STUDENT_HEADER)
    sheet = Sheet(source=0, label="学生", kind=PersonKind.STUDENT, header=header, rows=[])  # type: ignore[arg-type]
    sheet.columns = {name: index for index, name in enumerate(STUDENT_HEADER)}
    values: list[object] = [student("2023001", 班级=None).get(name) for name in STUDENT_HEADER]
    sheet.rows = [(4, values)]  # type: ignore[list-item]
    column = STUDENT_HEADER.index("班级")
    if merged is not None:
        sheet.merged[(4, column)] = merged

    _, issues = build_records(sheet, {}, Ticker(None), today=date(2026, 9, 1))

    assert [issue.text for issue in issues] == ["第4行 班级: " + reason.format(range=merged or "")]
