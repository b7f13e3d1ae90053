"""`carebot ledger export` and `carebot casefile export` through the real entry point: the
files, the exporter named in them, refusals for anyone but admins, audited."""

from __future__ import annotations

import asyncio
import os
import subprocess
from io import BytesIO
from pathlib import Path

from docx import Document
from openpyxl import load_workbook
from sqlmodel import col, select

from storage.db import make_engine, make_sessionmaker
from storage.models import AuditEntry
from tests.bot.cli.in_process import carebot
from tests.conftest import DATA_KEY
from tests.storage.exports.export_school import build_school


def _carebot(*args: object, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return carebot(*args, env=env)


async def _school(url: str) -> None:
    engine = make_engine(url, data_key=DATA_KEY)
    async with make_sessionmaker(engine)() as session:
        await build_school(session)
    await engine.dispose()


async def _audit(url: str) -> list[tuple[str, str | None, str | None]]:
    engine = make_engine(url, data_key=DATA_KEY)
    async with make_sessionmaker(engine)() as session:
        rows = (await session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))).all()
    await engine.dispose()
    return [(row.action, row.channel, row.detail) for row in rows if "export" in row.action]


def test_exports_for_admins_and_refusals_for_the_rest(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = os.environ | {"CAREBOT_DATA_KEY": DATA_KEY, "CAREBOT_DATABASE_URL": url}
    assert _carebot("db", "upgrade", env=env).returncode == 0
    asyncio.run(_school(url))
    ledger, case = tmp_path / "台账.xlsx", tmp_path / "档案.docx"

    done = _carebot(
        "ledger", "export", "--semester", "2026-秋", "--out", ledger, "--by", "A001", env=env
    )
    filed = _carebot("casefile", "export", "S001", "--out", case, "--by", "A900", env=env)
    teacher = _carebot(
        "ledger",
        "export",
        "--semester",
        "2026-秋",
        "--out",
        tmp_path / "x.xlsx",
        "--by",
        "T001",
        env=env,
    )
    other = _carebot(
        "casefile", "export", "S003", "--out", tmp_path / "y.docx", "--by", "A001", env=env
    )
    nobody = _carebot(
        "casefile", "export", "S999", "--out", tmp_path / "z.docx", "--by", "A001", env=env
    )

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.strip() == f"台账已导出到 {ledger}，共 3 名学生。文件仅限工作使用。"
    book = load_workbook(BytesIO(ledger.read_bytes()))
    assert [book["家庭经济困难"][f"B{row}"].value for row in (4, 5)] == ["孙七", "张三"]
    assert book["家庭经济困难"].oddHeader.right.text.startswith("导出：周院长 A001 ")
    assert (filed.returncode, filed.stderr) == (0, "")
    doc = Document(BytesIO(case.read_bytes()))
    assert doc.sections[0].header.paragraphs[0].text.startswith("导出：钱校长 A900 ")
    for refused in (teacher, other, nobody):
        assert refused.returncode == 1 and refused.stderr.startswith("无权限")
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "y.docx").exists()
    assert asyncio.run(_audit(url)) == [
        ("export_ledger", "cli", "semester=2026-2027学年第一学期 college=计算机学院 students=3"),
        ("export_casefile", "cli", None),
        ("denied_export", "cli", "export_denied by=T001"),
        ("denied_export", "cli", "export_denied by=A001"),
        ("denied_export", "cli", "export_denied by=A001"),
    ]
