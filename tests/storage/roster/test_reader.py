"""Workbooks as offices make them: merged cells, hidden sheets and rows, title rows above the
header, formula errors, and old .xls files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import xlwt
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Assignment, Person, PersonKind
from storage.roster.fields import FORMULA_ERROR, MERGED_BLANK
from storage.roster.importer import KindCounts, RosterError
from tests.fakes.roster_files import (
    STAFF_HEADER,
    STUDENT_HEADER,
    import_errors,
    import_files,
    staff,
    student,
    table,
    team,
    write_workbook,
    write_xls,
)


def column(name: str) -> str:
    return str(get_column_letter(STUDENT_HEADER.index(name) + 1))


def merge(*ranges: str, sheet: str = "学生") -> Callable[[Workbook], None]:
    def edit(workbook: Workbook) -> None:
        for cells in ranges:
            workbook[sheet].merge_cells(cells)

    return edit


def filled(cells: str) -> str:
    return f"学生 「学业导师」列有合并单元格（{cells}），已把合并的值填入其中每一行，请核对"


async def mentors(session: AsyncSession) -> dict[str, str]:
    """Student code → academic mentor's code."""
    code = dict((await session.exec(select(Person.id, Person.code))).all())
    seats = await session.exec(
        select(Assignment.student_id, Assignment.mentor_id).where(
            Assignment.role == "academic_mentor"
        )
    )
    return {code[student]: code[mentor] for student, mentor in seats.all()}


async def codes(session: AsyncSession, kind: PersonKind) -> list[str]:
    return sorted((await session.exec(select(Person.code).where(Person.kind == kind))).all())


async def test_a_value_merged_down_a_column_is_filled_into_every_row_with_a_note(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    rows = [student("2023001", 学业导师="T1"), student("2023002"), student("2023003")]
    sheets = {"学生": table(STUDENT_HEADER, rows), "教职工": table(STAFF_HEADER, team())}
    mentor = column("学业导师")
    path = write_workbook(tmp_path / "a.xlsx", sheets, edit=merge(f"{mentor}2:{mentor}4"))

    report = await import_files(sessions, path)

    assert await mentors(session) == {"2023001": "T1", "2023002": "T1", "2023003": "T1"}
    assert report.notes == (filled(f"{mentor}2:{mentor}4"),)


async def test_cells_merged_across_columns_are_refused_naming_the_range(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    rows = [student("2023001", 学业导师="T1"), student("2023002", 学业导师="T1")]
    sheets = {"学生": table(STUDENT_HEADER, rows), "教职工": table(STAFF_HEADER, team())}
    cells = f"{column('学业导师')}3:{column('学工教师')}3"
    path = write_workbook(tmp_path / "a.xlsx", sheets, edit=merge(cells))

    assert await import_errors(sessions, path) == [
        f"学生 第3行 学业导师: 是合并单元格（{cells}），请取消合并后在每个单元格中填写"
    ]
    assert await codes(session, PersonKind.STUDENT) == []


async def test_a_blank_merged_required_cell_says_it_is_merged(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    rows = [student("2023001", 学院=None), student("2023002", 学院=None), student("2023003")]
    college = column("学院")
    path = write_workbook(
        tmp_path / "a.xlsx",
        {"学生": table(STUDENT_HEADER, rows)},
        edit=merge(f"{college}2:{college}3"),
    )

    reason = MERGED_BLANK.format(range=f"{college}2:{college}3")
    assert await import_errors(sessions, path) == [f"第2-3行 学院: {reason}（共 2 行）"]


async def test_merged_title_rows_above_the_header_are_skipped_and_rows_keep_their_numbers(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    header = [*STUDENT_HEADER, "民族"]
    rows: list[list[object]] = [
        ["2025 级学生名单"],
        [],
        ["制表：学工办"],
        *table(header, [student("2023001"), student("2023002", 性别="未知")]),
    ]
    path = write_workbook(tmp_path / "a.xlsx", {"学生": rows}, edit=merge("A1:F1"))

    assert await import_errors(sessions, path) == [
        "第4行 民族: 未知的列名，请按模板改名；不需要的列请删除",
        "第6行 性别: 应为「男」或「女」，而不是「未知」",
    ]


def hide_openpyxl(state: str) -> Callable[[Path, dict[str, list[list[object]]]], Path]:
    def write(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
        def edit(workbook: Workbook) -> None:
            workbook["教职工"].sheet_state = state

        return write_workbook(path.with_suffix(".xlsx"), sheets, edit=edit)

    return write


def hide_xls(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    return write_xls(path.with_suffix(".xls"), sheets, hidden=["教职工"])


@pytest.mark.parametrize(
    "write",
    [hide_openpyxl("hidden"), hide_openpyxl("veryHidden"), hide_xls],
    ids=["xlsx hidden", "xlsx very hidden", "xls hidden"],
)
async def test_a_hidden_roster_sheet_is_skipped_with_a_note(
    write: Callable[[Path, dict[str, list[list[object]]]], Path],
    tmp_path: Path,
    sessions: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    sheets = {
        "学生": table(STUDENT_HEADER, [student("2023001")]),
        "教职工": table(STAFF_HEADER, [staff("T9", 角色="学院管理员")]),
    }
    path = write(tmp_path / "名单", sheets)

    report = await import_files(sessions, path)

    assert report.kinds == {PersonKind.STUDENT: KindCounts(created=1)}
    assert await codes(session, PersonKind.STAFF) == []
    [source] = report.sources
    assert source.sheets == (("学生", 1),)
    assert report.notes == ("工作表「教职工」是隐藏的，已跳过；如需导入请先取消隐藏",)


async def test_hidden_rows_are_skipped_with_a_note_listing_them(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    rows = [student(f"20230{n:02d}") for n in range(2, 14)]  # on rows 2-13

    def edit(workbook: Workbook) -> None:
        for number in (5, 6, 7, 8, 9, 12, 20):  # row 20 is blank: nothing to mention
            workbook["学生"].row_dimensions[number].hidden = True

    path = write_workbook(tmp_path / "a.xlsx", {"学生": table(STUDENT_HEADER, rows)}, edit=edit)

    report = await import_files(sessions, path)

    hidden = {f"20230{n:02d}" for n in (5, 6, 7, 8, 9, 12)}
    assert await codes(session, PersonKind.STUDENT) == sorted(
        {str(r["学号"]) for r in rows} - hidden
    )
    assert report.notes == ("第5-9、12行是隐藏行，已跳过；如需导入请先取消隐藏",)


async def test_formula_errors_reach_the_cells_as_their_text_and_are_refused(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    rows = [student("2023001", 班级="#REF!"), student("2023002", 学业导师="#N/A")]
    path = write_workbook(tmp_path / "a.xlsx", {"学生": table(STUDENT_HEADER, rows)})

    assert await import_errors(sessions, path) == [
        "第2行 班级: " + FORMULA_ERROR.format(value="#REF!"),
        "第3行 学业导师: " + FORMULA_ERROR.format(value="#N/A"),
    ]


async def test_an_old_xls_file_imports_with_dates_numbers_and_merged_cells(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    rows = [
        student("2023001", 学业导师="T1", 出生日期=date(2005, 3, 1), 联系电话=13800001111),
        student("2023002"),
    ]
    mentor = STUDENT_HEADER.index("学业导师")
    sheets = {"学生": table(STUDENT_HEADER, rows), "教职工": table(STAFF_HEADER, team())}
    path = write_xls(tmp_path / "旧名单.xls", sheets, merged=[("学生", 1, 2, mentor, mentor)])

    report = await import_files(sessions, path)

    assert report.kinds[PersonKind.STUDENT] == KindCounts(created=2)
    assert await mentors(session) == {"2023001": "T1", "2023002": "T1"}
    first = (await session.exec(select(Person).where(Person.code == "2023001"))).one()
    assert (first.birth_date, first.phone) == (date(2005, 3, 1), "13800001111")
    letter = column("学业导师")
    assert report.notes == (filled(f"{letter}2:{letter}3"),)


def _xls_with_hidden_rows_and_errors(path: Path) -> Path:
    """Rows 2-5 of students; row 3 hidden; row 4 班级 holds #REF!, row 5 学业导师 #N/A (0x2A)."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("学生")
    for column, name in enumerate(STUDENT_HEADER):
        sheet.write(0, column, name)
    errors: dict[tuple[int, int], object] = {
        (3, STUDENT_HEADER.index("班级")): "#REF!",
        (4, STUDENT_HEADER.index("学业导师")): 0x2A,
    }
    for index, code in enumerate(("2023001", "2023002", "2023003", "2023004"), start=1):
        for column, name in enumerate(STUDENT_HEADER):
            value = student(code).get(name)
            if (index, column) in errors:
                sheet.row(index).set_cell_error(column, errors[index, column])
            elif value is not None:
                sheet.write(index, column, value)
    sheet.row(2).hidden = True
    book.save(str(path))
    return path


async def test_an_xls_file_has_its_hidden_rows_skipped_and_its_errors_refused(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    path = _xls_with_hidden_rows_and_errors(tmp_path / "a.xls")

    with pytest.raises(RosterError) as caught:
        await import_files(sessions, path)

    assert caught.value.errors == [
        "第4行 班级: " + FORMULA_ERROR.format(value="#REF!"),
        "第5行 学业导师: " + FORMULA_ERROR.format(value="#N/A"),
    ]
    assert caught.value.notes == ("第3行是隐藏行，已跳过；如需导入请先取消隐藏",)
