"""The template shows every column, marks the required ones, and its examples import cleanly."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import PersonKind
from storage.roster import KindCounts, write_template
from storage.roster_fields import STAFF_COLUMNS, STUDENT_COLUMNS
from tests.fakes.roster_files import import_files


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


async def test_template_examples_import_cleanly(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    path = tmp_path / "模板.xlsx"
    write_template(path)

    report = await import_files(sessions, path)

    assert report.kinds == {
        PersonKind.STUDENT: KindCounts(created=3),
        PersonKind.STAFF: KindCounts(created=3),
    }
