"""`carebot stats` (text, json, xlsx) and `carebot report yearly` through the real entry point,
on the hand-counted college; refusals are audited."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlmodel import select

from storage.db import make_engine, make_sessionmaker, session_scope
from storage.models import AuditEntry
from tests.bot.cli.in_process import carebot
from tests.conftest import DATA_KEY
from tests.handlers.reports.stats_roster import build_counted

RANGE = ("--from", "2026-09-07", "--to", "2027-01-17")


def _carebot(*args: object, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return carebot(*args, env=env)


@pytest.fixture
async def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = os.environ | {"CAREBOT_DATA_KEY": DATA_KEY, "CAREBOT_DATABASE_URL": url}
    assert _carebot("db", "upgrade", env=env).returncode == 0
    engine = make_engine(url, data_key=DATA_KEY)
    async with session_scope(make_sessionmaker(engine)) as session:
        await build_counted(session)
    await engine.dispose()
    return env


async def _audit(env: dict[str, str]) -> list[tuple[str, str | None]]:
    engine = make_engine(env["CAREBOT_DATABASE_URL"], data_key=DATA_KEY)
    async with session_scope(make_sessionmaker(engine)) as session:
        rows = (await session.exec(select(AuditEntry).order_by(AuditEntry.id))).all()  # type: ignore[arg-type]
    await engine.dispose()
    return [(row.action, row.detail) for row in rows]


async def test_the_three_formats_and_a_refusal(env: dict[str, str], tmp_path: Path) -> None:
    as_json = _carebot("stats", *RANGE, "--format", "json", env=env)
    as_text = _carebot("stats", *RANGE, "--college", "计算机学院", env=env)
    book = tmp_path / "统计.xlsx"
    as_xlsx = _carebot("stats", *RANGE, "--format", "xlsx", "--out", book, "--by", "T901", env=env)
    refused = _carebot("stats", *RANGE, "--by", "T100", env=env)
    no_out = _carebot("stats", "--format", "xlsx", env=env)

    assert as_json.returncode == 0, as_json.stderr
    found = json.loads(as_json.stdout)
    assert found["students"] == 8 and found["by_category"]["孤儿"] == 5
    assert found["college_totals"] == {"机械工程学院": 2, "计算机学院": 6}
    assert as_text.returncode == 0 and "特殊群体学生 6 人" in as_text.stdout
    assert as_xlsx.returncode == 0, as_xlsx.stderr
    sheets = load_workbook(io.BytesIO(book.read_bytes()))
    category = sheets["分类人数"]
    assert [c.value for c in category[3]] == ["类别", "人数"]
    assert {row[0]: row[1] for row in category.iter_rows(min_row=4, values_only=True)}["孤儿"] == 5
    assert "校管理员 T901" in str(category["A2"].value)
    assert (refused.returncode, refused.stderr.strip()[:3]) == (1, "无权限")
    assert no_out.returncode == 2
    actions = [action for action, _ in await _audit(env)]
    assert actions.count("stats") == 3 and actions.count("denied_stats") == 1


async def test_the_yearly_summary_is_a_word_document(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "年度总结.docx"
    done = _carebot("report", "yearly", "--college", "计算机学院", "--year", 2026,
                    "--out", out, "--by", "T900", env=env)  # fmt: skip
    other = _carebot("report", "yearly", "--college", "机械工程学院", "--year", 2026,
                     "--out", out.with_name("x.docx"), "--by", "T900", env=env)  # fmt: skip

    assert done.returncode == 0, done.stderr
    document = Document(str(out))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0] == "一、帮扶对象概况" and len(headings) == 7
    assert (
        document.paragraphs[0].text == "计算机学院2026年度特殊群体学生精准帮扶工作统计、分析和总结"
    )
    body = "\n".join(p.text for p in document.paragraphs)
    assert "本年度共帮扶特殊群体学生 6 人" in body and "心理异常 <3 人" in body
    assert len(document.inline_shapes) == 3
    colleges = next(t for t in document.tables if t.rows[0].cells[0].text == "学院")
    assert [[c.text for c in row.cells] for row in colleges.rows[1:]] == [
        ["机械工程学院", "<3"], ["计算机学院", "6"]
    ]  # fmt: skip
    header = document.sections[0].header.paragraphs[0].text
    assert header.startswith("导出：院管理员 T900") and header.endswith("仅限工作使用")
    assert (other.returncode, other.stderr.strip()[:3]) == (1, "无权限")
    assert ("denied_yearly_report", "college=机械工程学院") in await _audit(env)
