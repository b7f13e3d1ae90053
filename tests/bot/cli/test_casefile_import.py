"""`carebot casefile import` and `template` through the real entry point: output via
templates, problems on stderr with exit 1, nothing written then."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from openpyxl import Workbook

from storage.cases.files import record_of
from storage.db import make_engine, make_sessionmaker, session_scope
from storage.people.categories import sync_categories
from tests.bot.cli.in_process import carebot
from tests.conftest import DATA_KEY
from tests.fakes.roster import make_student


def _carebot(*args: object, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return carebot(*args, env=env)


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["学号", "家庭经济状况和存在问题", "就业方案"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


async def test_import_checks_then_writes_and_a_bad_file_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = os.environ | {"CAREBOT_DATA_KEY": DATA_KEY, "CAREBOT_DATABASE_URL": url}
    assert _carebot("db", "upgrade", env=env).returncode == 0
    engine = make_engine(url, data_key=DATA_KEY)
    async with session_scope(make_sessionmaker(engine)) as session:
        await sync_categories(session)
        student = await make_student(session, code="S001", categories=("financial_hardship",))
    good = _workbook(tmp_path / "档案.xlsx", [["S001", "父亲务工", "推送实习岗位"]])
    bad = _workbook(tmp_path / "bad.xlsx", [["S001", "改了", None], ["S999", "x", None]])

    dry = _carebot("casefile", "import", "--dry-run", good, env=env)
    done = _carebot("casefile", "import", good, env=env)
    refused = _carebot("casefile", "import", bad, env=env)
    template = _carebot("casefile", "template", "--out", tmp_path / "模板.xlsx", env=env)

    assert (dry.returncode, dry.stderr) == (0, "") and "检查通过" in dry.stdout
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.strip() == "已导入 1 位学生的档案（工作表「Sheet」）。"
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.splitlines() == [
        "第3行 学号: 没有学号为「S999」的学生",
        "共 1 处问题，一位学生的档案也没有导入；改好后请重新导入。",
    ]
    assert template.returncode == 0 and (tmp_path / "模板.xlsx").exists()
    async with session_scope(make_sessionmaker(engine)) as session:
        values = (await record_of(session, student.id or 0)).values()
    await engine.dispose()
    assert values["problem_financial_hardship"] == "父亲务工"
    assert values["plan_employment"] == "推送实习岗位"
