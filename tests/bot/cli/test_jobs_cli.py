"""`carebot jobs import`: a workbook of postings, all or nothing, through the real entry point."""

from __future__ import annotations

import os
import subprocess
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

from tests.bot.cli.in_process import carebot
from tests.conftest import DATA_KEY

HEADER = ["岗位名称", "招聘单位", "工作地点", "薪资待遇", "面向专业", "截止日期", "报名方式"]


def _environment(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    return os.environ | {"CAREBOT_DATA_KEY": DATA_KEY, "CAREBOT_DATABASE_URL": url}


def _carebot(*args: object, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return carebot(*args, env=env)


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "岗位"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_import_then_reimport_then_a_bad_file_then_an_unknown_publisher(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    assert _carebot("db", "upgrade", env=env).returncode == 0
    ahead = (date.today() + timedelta(days=30)).isoformat()
    good = _workbook(
        tmp_path / "岗位.xlsx",
        [
            ["软件测试工程师", "星辰科技", "杭州", "8000", "软件工程", ahead, "投递简历"],
            ["行政助理", "晨光文化", "上海", None, None, ahead, "现场报名"],
        ],
    )
    bad = _workbook(
        tmp_path / "bad.xlsx", [["运营专员", "", "北京", None, None, "下周", "现场报名"]]
    )

    dry = _carebot("jobs", "import", "--dry-run", good, env=env)
    done = _carebot("jobs", "import", good, env=env)
    again = _carebot("jobs", "import", good, env=env)
    refused = _carebot("jobs", "import", bad, env=env)
    stranger = _carebot("jobs", "import", "--publisher", "NOBODY", good, env=env)

    assert (dry.returncode, dry.stderr) == (0, "")
    assert "检查通过" in dry.stdout and "2 个岗位" in dry.stdout
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("已导入 2 个岗位（工作表「岗位」）")
    assert again.returncode == 1
    assert again.stderr.splitlines()[0].startswith("第2行：这个岗位已经导入过（岗位 1")
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr.splitlines() == [
        "第2行 招聘单位: 必填，不能为空",
        "第2行 截止日期: 无法识别的日期「下周」，请写成 2026-12-31",
        "共 2 处问题，一个岗位也没有导入；改好后请重新导入。",
    ]
    assert stranger.returncode == 2 and "NOBODY" in stranger.stderr


def test_survey_export_refuses_an_unknown_survey_and_a_wrong_suffix(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    assert _carebot("db", "upgrade", env=env).returncode == 0

    missing = _carebot("survey", "export", "99", "--out", tmp_path / "调查.xlsx", env=env)
    csv = _carebot("survey", "export", "1", "--out", tmp_path / "调查.csv", env=env)

    assert (missing.returncode, missing.stderr.strip()) == (1, "没有编号为 99 的调查。")
    assert (csv.returncode, csv.stderr.strip()) == (2, "导出的文件请以 .xlsx 结尾。")
    assert not (tmp_path / "调查.xlsx").exists()
