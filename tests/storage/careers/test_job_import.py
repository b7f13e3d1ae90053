"""The jobs workbook import: every row checked, all written or none, problems named by row
and column."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.careers.importer import JobImportError, import_postings
from storage.models import JobPosting

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)
HEADER = [
    "序号",
    "岗位名称*",
    "单位",
    "工作地点",
    "薪资待遇",
    "面向专业",
    "截止日期",
    "报名方式",
    "链接",
]
GOOD = [
    [1, "软件测试工程师", "星辰科技", "杭州", 8000, "计算机科学与技术，软件工程",
     datetime(2026, 12, 20), "投递简历", "https://example.com/1"],
    [2, "行政助理", "晨光文化", "上海", None, None, "2027-01-05", "现场报名", None],
]  # fmt: skip


def _workbook(path: Path, rows: list[list[object]], *, title: str = "岗位") -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(["2026年招聘岗位"])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


async def _stored(session: AsyncSession) -> list[JobPosting]:
    return list((await session.exec(select(JobPosting).order_by(JobPosting.id))).all())  # type: ignore[arg-type]


async def test_a_clean_workbook_imports_every_row(session: AsyncSession, tmp_path: Path) -> None:
    path = _workbook(tmp_path / "jobs.xlsx", GOOD)

    found = await import_postings(session, path, now=NOW, today=TODAY)

    assert found.sheet == "岗位" and found.ignored == ["序号"] and found.rows == [3, 4]
    first, second = await _stored(session)
    assert (first.title, first.employer, first.salary) == ("软件测试工程师", "星辰科技", "8000")
    assert first.majors == "计算机科学与技术、软件工程"
    assert first.deadline == date(2026, 12, 20) and first.link == "https://example.com/1"
    assert (second.salary, second.majors, second.link) == (None, "", None)
    assert second.deadline == date(2027, 1, 5)


async def test_any_bad_row_imports_nothing_and_names_row_and_column(
    session: AsyncSession, tmp_path: Path
) -> None:
    rows = [
        GOOD[0],
        [2, "", "晨光文化", "上海", None, None, "下周", "现场报名", None],
        [3, "实习生", "远山", "北京", None, None, "2026-01-01", "现场报名", None],
        [4, "助理", "远山", "北京", None, None, "2027-01-05", "现场报名", "javascript:alert(1)"],
    ]
    path = _workbook(tmp_path / "jobs.xlsx", rows)

    with pytest.raises(JobImportError) as refused:
        await import_postings(session, path, now=NOW, today=TODAY)

    assert refused.value.problems == [
        "第4行 岗位名称: 必填，不能为空",
        "第4行 截止日期: 无法识别的日期「下周」，请写成 2026-12-31",
        "第5行 截止日期: 截止日期 2026-01-01 已经过去了",
        "第6行 链接: 链接「javascript:alert(1)」不是网址，请写成 https:// 开头的地址，或留空",
    ]
    assert await _stored(session) == []


async def test_a_missing_required_column_is_named(session: AsyncSession, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["岗位名称", "招聘单位", "工作地点"])
    sheet.append(["软件测试工程师", "星辰科技", "杭州"])
    book.save(tmp_path / "jobs.xlsx")

    with pytest.raises(JobImportError) as refused:
        await import_postings(session, tmp_path / "jobs.xlsx", now=NOW, today=TODAY)

    assert refused.value.problems == ["缺少必填列：截止日期、报名方式"]


async def test_importing_the_same_file_twice_adds_nothing(
    session: AsyncSession, tmp_path: Path
) -> None:
    path = _workbook(tmp_path / "jobs.xlsx", GOOD)
    await import_postings(session, path, now=NOW, today=TODAY)

    with pytest.raises(JobImportError) as refused:
        await import_postings(session, path, now=NOW, today=TODAY)

    assert refused.value.problems[0].startswith("第3行：这个岗位已经导入过（岗位 1")
    assert len(await _stored(session)) == 2


async def test_a_dry_run_checks_but_writes_nothing(session: AsyncSession, tmp_path: Path) -> None:
    path = _workbook(tmp_path / "jobs.xlsx", GOOD)

    found = await import_postings(session, path, now=NOW, today=TODAY, dry_run=True)

    assert len(found.postings) == 2 and await _stored(session) == []


async def test_a_file_that_is_no_workbook_is_refused(session: AsyncSession, tmp_path: Path) -> None:
    (tmp_path / "jobs.xlsx").write_text("not a workbook")
    (tmp_path / "jobs.csv").write_text("a,b")

    with pytest.raises(JobImportError) as bad:
        await import_postings(session, tmp_path / "jobs.xlsx", now=NOW, today=TODAY)
    with pytest.raises(JobImportError) as wrong_type:
        await import_postings(session, tmp_path / "jobs.csv", now=NOW, today=TODAY)

    assert "不是有效的 Excel 工作簿" in bad.value.problems[0]
    assert "不支持的文件类型" in wrong_type.value.problems[0]
