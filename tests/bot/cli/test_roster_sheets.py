"""`carebot roster import` names the sheets it read and ignored; a file giving no one fails."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.bot.cli.test_roster import _carebot, _environment
from tests.fakes.roster_files import (
    STAFF_HEADER,
    STUDENT_HEADER,
    Row,
    student,
    team,
    write_csv,
    write_excel_like,
)


def _table(header: Sequence[str], rows: Sequence[Row]) -> list[list[object]]:
    return [list(header), *([row.get(name) for name in header] for row in rows)]


def _migrated(tmp_path: Path) -> dict[str, str]:
    env = _environment(tmp_path)
    assert _carebot("db", "upgrade", env=env).returncode == 0
    return env


def _people(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "cli.db") as connection:
        return int(connection.execute("SELECT count(*) FROM person").fetchone()[0])


@pytest.mark.parametrize(
    "staff_sheet", [_table(STAFF_HEADER, []), []], ids=["header only", "blank"]
)
@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]], ids=["import", "dry run"])
def test_a_misnamed_student_sheet_and_an_empty_staff_sheet_is_refused(
    tmp_path: Path, staff_sheet: list[list[object]], dry_run: list[str]
) -> None:
    env = _migrated(tmp_path)
    sheets = {"学生信息": _table(STUDENT_HEADER, [student("2023001")]), "教职工": staff_sheet}
    path = write_excel_like(tmp_path / "名单.xlsx", sheets)

    result = _carebot("roster", "import", *dry_run, path, env=env)

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        "名单.xlsx 里没有读到任何学生或教职工，未写入任何数据：文件中的工作表是「学生信息」"
        "「教职工」（没有数据行），名单要放在名为「学生」或「教职工」的工作表里，表头下至少一行。"
    ]
    assert _people(tmp_path) == 0


def test_a_workbook_without_roster_sheets_names_the_sheets_it_has(tmp_path: Path) -> None:
    sheets = {"Sheet1": _table(STUDENT_HEADER, [student("2023001")]), "Sheet2": []}
    path = write_excel_like(tmp_path / "export.xlsx", sheets)

    result = _carebot("roster", "import", path, env=_migrated(tmp_path))

    assert (result.returncode, result.stdout) == (1, "")
    [line] = result.stderr.splitlines()
    assert "「Sheet1」「Sheet2」" in line and "「学生」或「教职工」" in line


def test_a_csv_with_only_a_header_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "学生.csv", [], header=STUDENT_HEADER, encoding="utf-8-sig")

    result = _carebot("roster", "import", path, env=_migrated(tmp_path))

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        "学生.csv 里没有读到任何学生或教职工，未写入任何数据：表头下面没有数据行。"
    ]


def test_one_empty_file_among_several_refuses_them_all(tmp_path: Path) -> None:
    env = _migrated(tmp_path)
    staff = write_csv(tmp_path / "教职工.csv", team(), header=STAFF_HEADER)
    empty = write_excel_like(tmp_path / "学生.xlsx", {"学生信息": _table(STUDENT_HEADER, [])})

    result = _carebot("roster", "import", staff, empty, env=env)

    assert (result.returncode, result.stdout) == (1, "")
    [line] = result.stderr.splitlines()
    assert line.startswith("学生.xlsx 里没有读到任何学生或教职工") and "「学生信息」" in line
    assert _people(tmp_path) == 0


def test_sheets_read_and_ignored_are_named_and_a_reimport_is_unchanged(tmp_path: Path) -> None:
    env = _migrated(tmp_path)
    sheets: dict[str, list[list[object]]] = {
        "封面": [["2026 年名单"]],
        "学生": _table(STUDENT_HEADER, [student("2023001"), student("2023002")]),
        "教职工": _table(STAFF_HEADER, []),
    }
    path = write_excel_like(tmp_path / "名单.xlsx", sheets)

    first = _carebot("roster", "import", path, env=env)
    again = _carebot("roster", "import", path, env=env)

    read = [
        "已读取：学生（2 行）、教职工（0 行）",
        "已忽略：封面（只读取名为「学生」「教职工」的工作表）",
    ]
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout.splitlines()[-2:] == read
    assert (again.returncode, again.stderr) == (0, "")
    assert again.stdout.splitlines() == ["没有变化：学生 2 人，教职工 0 人均与数据库一致", *read]


def test_a_csv_file_is_one_sheet_labelled_by_its_name(tmp_path: Path) -> None:
    env = _migrated(tmp_path)
    staff = write_csv(tmp_path / "教职工.csv", team(), header=STAFF_HEADER)
    students = write_excel_like(
        tmp_path / "学生.xlsx", {"学生": _table(STUDENT_HEADER, [student("2023001")]), "说明": []}
    )

    result = _carebot("roster", "import", "--dry-run", staff, students, env=env)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[-2:] == [
        "已读取：教职工.csv（3 行）、学生.xlsx 学生（1 行）",
        "已忽略：学生.xlsx 说明（只读取名为「学生」「教职工」的工作表）",
    ]
