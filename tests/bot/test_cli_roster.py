"""`carebot roster`: template → import → re-import → bad file, through the real entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import DATA_KEY
from tests.fakes.roster_files import student, write_xlsx

CAREBOT = Path(sys.executable).with_name("carebot")


def _environment(tmp_path: Path) -> dict[str, str]:
    """A database of its own: the CLI never touches the shared test database."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    return os.environ | {"CAREBOT_DATA_KEY": DATA_KEY, "CAREBOT_DATABASE_URL": url}


def _carebot(*args: object, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [str(CAREBOT), *map(str, args)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_template_dry_run_import_reimport_and_bad_file(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    assert _carebot("db", "upgrade", env=env).returncode == 0
    template = tmp_path / "名单模板.xlsx"
    assert _carebot("roster", "template", template, env=env).returncode == 0

    dry = _carebot("roster", "import", "--dry-run", template, env=env)
    first = _carebot("roster", "import", template, env=env)
    again = _carebot("roster", "import", template, env=env)
    rows = [student("2023009", 性别="X", 学业导师="T404")]
    bad = write_xlsx(tmp_path / "bad.xlsx", students=rows)
    failed = _carebot("roster", "import", bad, env=env)

    sheets = [
        "已读取：学生（3 行）、教职工（3 行）",
        "已忽略：说明（只读取名为「学生」「教职工」的工作表）",
    ]
    created = ["学生：新增 3 / 更新 0 / 未变 0", "教职工：新增 3 / 更新 0 / 未变 0"]
    assert (dry.returncode, dry.stderr) == (0, "")
    assert dry.stdout.splitlines() == [
        *created,
        "试运行：以上为将要发生的变化，未写入任何数据。",
        *sheets,
    ]
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout.splitlines() == [*created, "导入完成。", *sheets]
    assert again.returncode == 0
    assert again.stdout.splitlines() == ["没有变化：学生 3 人，教职工 3 人均与数据库一致", *sheets]
    assert (failed.returncode, failed.stdout) == (1, "")
    assert failed.stderr.splitlines() == [
        "第2行 性别: 应为「男」或「女」，而不是「X」",
        "第2行 学业导师: 找不到工号为「T404」的教职工",
        "导入失败：共 2 处错误，未写入任何数据。",
    ]


def test_template_must_be_an_xlsx_file(tmp_path: Path) -> None:
    result = _carebot("roster", "template", tmp_path / "名单.xls", env=_environment(tmp_path))

    assert result.returncode == 2
    assert "xlsx" in result.stderr
    assert not (tmp_path / "名单.xls").exists()


def test_template_never_overwrites_a_file_unless_forced(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    existing = tmp_path / "名单.xlsx"
    existing.write_bytes(b"the clerk's own roster")

    refused = _carebot("roster", "template", existing, env=env)
    kept = existing.read_bytes()
    forced = _carebot("roster", "template", "--force", existing, env=env)

    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr.splitlines() == [
        f"{existing} 已经存在，没有覆盖它。换一个文件名，或加上 --force 覆盖原文件。"
    ]
    assert kept == b"the clerk's own roster"
    assert (forced.returncode, forced.stderr) == (0, "")
    assert existing.read_bytes().startswith(b"PK")  # the template workbook


def test_template_into_a_missing_folder_says_so_in_one_line(tmp_path: Path) -> None:
    target = tmp_path / "没有这个文件夹" / "名单.xlsx"

    result = _carebot("roster", "template", target, env=_environment(tmp_path))

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f"文件夹 {target.parent} 不存在，模板没有生成。请先建好这个文件夹，或换一个位置。"
    ]


def test_db_upgrade_to_an_unknown_revision_says_so_in_one_line(tmp_path: Path) -> None:
    result = _carebot("db", "upgrade", "--revision", "nonsense", env=_environment(tmp_path))

    assert (result.returncode, result.stdout) == (2, "")
    [line] = result.stderr.splitlines()
    assert "「nonsense」" in line and "head" in line and "0001" in line
    assert not (tmp_path / "cli.db").exists()  # refused before the database was opened
