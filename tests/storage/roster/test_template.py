"""The template shows every column, marks the required ones, and its examples import cleanly."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import PersonKind
from storage.roster.examples import EXAMPLE_ROW, staff_rows, student_rows
from storage.roster.fields import STAFF_COLUMNS, STUDENT_COLUMNS
from storage.roster.importer import KindCounts, write_template
from tests.fakes.roster_files import import_errors, import_files


def test_template_marks_required_columns(tmp_path: Path) -> None:
    path = tmp_path / "模板.xlsx"
    write_template(path)

    workbook = openpyxl.load_workbook(path)
    for title, columns in (("学生", STUDENT_COLUMNS), ("教职工", STAFF_COLUMNS)):
        sheet = workbook[title]
        header = list(sheet[1])
        assert [cell.value for cell in header] == [column.name for column in columns]
        for cell, column in zip(header, columns, strict=True):
            assert cell.font.b
            assert (cell.comment is not None) == column.required
            assert (cell.font.color is not None) == column.required
        assert 2 <= sheet.max_row - 1 <= 3
    assert "红色列名为必填列" in workbook["说明"]["A2"].value


async def test_template_examples_are_refused_row_by_row(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    path = tmp_path / "模板.xlsx"
    write_template(path)

    errors = await import_errors(sessions, path)

    expected = [
        f"{sheet} 第{number}行 {key}: " + EXAMPLE_ROW.format(code=row[key], name=row["姓名"])
        for sheet, key, rows in (("学生", "学号", student_rows()), ("教职工", "工号", staff_rows()))
        for number, row in enumerate(rows, start=2)
    ]
    assert errors == expected


async def test_template_filled_with_real_people_imports_cleanly(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The examples are valid rows: with their codes and names replaced they import as is."""
    path = tmp_path / "模板.xlsx"
    write_template(path)
    workbook = openpyxl.load_workbook(path)
    for title, team_columns in (("学生", ("学业导师", "学工教师", "朋辈导师")), ("教职工", ())):
        sheet = workbook[title]
        header = [cell.value for cell in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            for cell, name in zip(row, header, strict=True):
                if name in ("学号", "工号", *team_columns) and cell.value:
                    cell.value = f"{cell.value}9"
                elif name == "姓名":
                    cell.value = f"{cell.value}真"
    workbook.save(path)

    report = await import_files(sessions, path)

    assert report.kinds == {
        PersonKind.STUDENT: KindCounts(created=3),
        PersonKind.STAFF: KindCounts(created=3),
    }
