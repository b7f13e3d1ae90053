"""The case-file import: the section columns by their ledger words, all rows or none, every
problem named by row and column."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.cases.files import record_of
from storage.cases.importer import CaseImportError, import_case_files
from storage.cases.template import write_template
from storage.models import AuditEntry, CaseFile, CaseProblem
from tests.fakes.roster import make_student

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
FINANCE = "家庭经济状况和存在问题"
ILLNESS = "学生病史（重大疾病、遗传病或残疾等影响到学习生活的疾病）"
HEADER = [
    "学号",
    "姓名",
    FINANCE,
    ILLNESS,
    "班主任核实情况",
    "既往生活史与当前生活情景",
    "学业方案",
    "备注",
]


def _book(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "档案"
    sheet.append(["2026年特殊群体学生档案"])  # a title row above the header
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
async def students(session: AsyncSession) -> dict[str, int]:
    zhang = await make_student(
        session, name="张三", code="S001", categories=("financial_hardship", "physical_condition")
    )
    li = await make_student(session, name="李四", code="2002", categories=("financial_hardship",))
    await session.commit()
    return {"S001": zhang.id or 0, "2002": li.id or 0}


async def test_rows_are_written_and_blank_cells_keep_the_stored_text(
    session: AsyncSession, students: dict[str, int], tmp_path: Path
) -> None:
    path = _book(
        tmp_path / "档案.xlsx",
        [
            ["S001", "张三", "父亲务工", "哮喘", "已核实", "父母务农", "每周辅导", "x"],
            [2002, "李四", "单亲", None, None, None, None, None],
        ],
    )
    found = await import_case_files(session, path, now=NOW)
    assert (len(found.rows), found.sheet, found.ignored) == (2, "档案", ["备注"])
    zhang = await record_of(session, students["S001"])
    assert zhang.values() == {
        "life_history": "父母务农",
        "plan_academic": "每周辅导",
        "plan_psych": None,
        "plan_financial": None,
        "plan_employment": None,
        "problem_financial_hardship": "父亲务工",
        "problem_physical_condition": "哮喘",
        "verification": "已核实",
    }
    again = _book(
        tmp_path / "again.xlsx", [["S001", "张三", None, None, None, "新情况", None, None]]
    )
    await import_case_files(session, again, now=NOW)
    zhang = await record_of(session, students["S001"])
    assert zhang.values()["life_history"] == "新情况"
    assert zhang.values()["problem_financial_hardship"] == "父亲务工"
    audit = (await session.exec(select(AuditEntry.action))).all()
    assert audit == ["case_file_import", "case_file_import"]


async def test_one_bad_row_imports_nothing_and_every_problem_is_named(
    session: AsyncSession, students: dict[str, int], tmp_path: Path
) -> None:
    path = _book(
        tmp_path / "bad.xlsx",
        [
            ["S001", "张三", "父亲务工", None, None, "长" * 501, None, None],
            ["2002", "李四", "单亲", "哮喘", "已核实", None, None, None],
            ["S404", "无名", "x", None, None, None, None, None],
            ["S001", "张三", "重复", None, None, None, None, None],
            [None, "没学号", "x", None, None, None, None, None],
        ],
    )
    with pytest.raises(CaseImportError) as caught:
        await import_case_files(session, path, now=NOW)
    assert caught.value.problems == [
        "第3行 既往生活史与当前生活情景: 超过 500 个字符",
        "第7行 学号: 缺少学号",
    ]
    fixed = _book(tmp_path / "fixed.xlsx", [r for r in _rows_without_cell_errors()])
    with pytest.raises(CaseImportError) as caught:
        await import_case_files(session, fixed, now=NOW)
    assert caught.value.problems == [
        f"第4行 {ILLNESS}: 这位学生没有「生理缺陷」类别，这一栏应留空",
        "第4行 班主任核实情况: 这位学生没有「生理缺陷」类别，这一栏应留空",
        "第5行 学号: 没有学号为「S404」的学生",
        "第6行 学号: 与第3行是同一位学生",
    ]
    assert (await session.exec(select(CaseFile))).all() == []
    assert (await session.exec(select(CaseProblem))).all() == []


def _rows_without_cell_errors() -> list[list[object]]:
    return [
        ["S001", "张三", "父亲务工", None, None, None, None, None],
        ["2002", "李四", "单亲", "哮喘", "已核实", None, None, None],
        ["S404", "无名", "x", None, None, None, None, None],
        ["S001", "张三", "重复", None, None, None, None, None],
    ]


async def test_a_file_without_section_columns_or_not_a_workbook_is_refused(
    session: AsyncSession, students: dict[str, int], tmp_path: Path
) -> None:
    with pytest.raises(CaseImportError) as caught:
        await import_case_files(session, _book(tmp_path / "a.xlsx", [["S001"]], ["学号"]), now=NOW)
    assert "表头应有「学号」列" in caught.value.problems[0]
    text = tmp_path / "a.csv"
    text.write_text("学号\n", encoding="utf-8")
    with pytest.raises(CaseImportError) as caught:
        await import_case_files(session, text, now=NOW)
    assert "不支持的文件类型" in caught.value.problems[0]


async def test_the_template_is_read_back_as_the_import_columns(tmp_path: Path) -> None:
    path = tmp_path / "模板.xlsx"
    write_template(path)
    sheet = load_workbook(path).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["学号", "姓名", "班级"] and FINANCE in header and "就业方案" in header
    assert "问题类型、行为异常描述和危害性判断" in header and "班主任核实情况" in header
