"""CSV rosters: the kind comes from the header; UTF-8 with or without BOM, GB18030 or UTF-16;
commas, tabs or semicolons; title rows above the header."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Assignment, Person, PersonKind
from storage.roster.importer import KindCounts
from storage.roster.source import BAD_CSV
from tests.fakes.roster_files import (
    STAFF_HEADER,
    STUDENT_HEADER,
    csv_text,
    import_errors,
    import_files,
    student,
    team,
    write_csv,
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
async def test_csv_pair_imports_in_any_encoding_excel_writes(
    encoding: str,
    tmp_path: Path,
    sessions: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    staff = write_csv(tmp_path / "教职工.csv", team(), header=STAFF_HEADER, encoding=encoding)
    rows = [student("2023001", 姓名="欧阳娜娜", 类别="脱贫家庭", 学业导师="T1", 学工教师="T2")]
    students = write_csv(tmp_path / "学生.csv", rows, header=STUDENT_HEADER, encoding=encoding)

    report = await import_files(sessions, students, staff)

    assert report.kinds == {
        PersonKind.STUDENT: KindCounts(created=1),
        PersonKind.STAFF: KindCounts(created=3),
    }
    person = (await session.exec(select(Person).where(Person.code == "2023001"))).one()
    assert person.name == "欧阳娜娜"
    seats = await session.exec(select(Assignment.role).where(Assignment.student_id == person.id))
    assert sorted(seats.all()) == ["academic_mentor", "student_affairs"]


async def test_csv_numbers_saved_as_floats_are_read_as_codes_and_phones(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    rows = [student("2023001.0", 联系电话="13800001111.0", 预计毕业年份="2027.0")]
    await import_files(sessions, write_csv(tmp_path / "s.csv", rows, header=STUDENT_HEADER))

    person = (await session.exec(select(Person))).one()
    assert (person.code, person.phone, person.graduation_year) == ("2023001", "13800001111", 2027)


async def test_errors_in_several_files_name_the_file(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    staff = write_csv(
        tmp_path / "staff.csv", [*team(), {"工号": "T4", "姓名": "钱"}], header=STAFF_HEADER
    )
    rows = [student("2023001", 性别="未知")]
    students = write_csv(tmp_path / "students.csv", rows, header=STUDENT_HEADER)

    errors = await import_errors(sessions, students, staff)

    assert errors == [
        "students.csv 第2行 性别: 应为「男」或「女」，而不是「未知」",
        "staff.csv 第5行 角色: 必填，不能为空",
    ]


async def test_csv_without_a_key_column_is_refused(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    path = write_csv(tmp_path / "名单.csv", [{"姓名": "张三"}], header=["姓名", "学院"])

    assert await import_errors(sessions, path) == [
        "名单.csv: 表头中没有「学号」或「工号」列，无法判断是学生还是教职工名单"
    ]


async def test_csv_in_an_unknown_encoding_is_refused(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    path = tmp_path / "名单.csv"
    path.write_bytes("学号,姓名\n".encode() + b"\xff\xfe\xfd\n")

    assert await import_errors(sessions, path) == [
        "名单.csv: 无法识别文字编码，请另存为 UTF-8 或 GBK 编码的 CSV"
    ]


@pytest.mark.parametrize(
    "name, encoding, delimiter",
    [
        ("学生.csv", "utf-8", "\t"),
        ("学生.csv", "gb18030", ";"),
        ("学生.txt", "utf-16", "\t"),  # Excel's 「Unicode 文本」: UTF-16LE with a BOM, tabs
        ("学生.txt", "utf-16-le", "\t"),
        ("学生.csv", "utf-16-be", ","),
    ],
)
async def test_tab_and_semicolon_separated_and_utf16_files_import(
    name: str,
    encoding: str,
    delimiter: str,
    tmp_path: Path,
    sessions: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    rows = [student("2023001", 姓名="欧阳娜娜", 类别="孤儿、残疾"), student("2023002")]
    path = write_csv(
        tmp_path / name, rows, header=STUDENT_HEADER, encoding=encoding, delimiter=delimiter
    )

    report = await import_files(sessions, path)

    assert report.kinds == {PersonKind.STUDENT: KindCounts(created=2)}
    person = (await session.exec(select(Person).where(Person.code == "2023001"))).one()
    assert (person.name, person.college) == ("欧阳娜娜", "计算机学院")


async def test_title_rows_above_a_csv_header_are_skipped_and_rows_keep_their_numbers(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    header = ["学号（必填）" if name == "学号" else name for name in STUDENT_HEADER]
    rows = [student("2023001") | {"学号（必填）": "2023001", "性别": "未知"}]
    text = "2025 级学生名单,,\r\n\r\n" + csv_text(rows, header)
    path = tmp_path / "名单.csv"
    path.write_text(text, encoding="utf-8-sig")

    assert await import_errors(sessions, path) == ["第4行 性别: 应为「男」或「女」，而不是「未知」"]


async def test_a_file_the_csv_reader_cannot_split_is_refused_in_one_line(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    path = tmp_path / "名单.csv"
    path.write_text("学号,姓名\r\n2023001," + "长" * 200_000 + "\r\n", encoding="utf-8")

    assert await import_errors(sessions, path) == [f"名单.csv: {BAD_CSV}"]
