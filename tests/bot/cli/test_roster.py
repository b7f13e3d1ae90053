"""`carebot roster`: template → import → re-import → bad file, through the real entry point."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.bot.cli.in_process import carebot
from tests.conftest import DATA_KEY
from tests.fakes.roster_files import staff, student, write_xlsx


def _environment(tmp_path: Path) -> dict[str, str]:
    """A database of its own: the CLI never touches the shared test database."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    return os.environ | {"CAREBOT_DATA_KEY": DATA_KEY, "CAREBOT_DATABASE_URL": url}


def _carebot(*args: object, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return carebot(*args, env=env)


def test_template_examples_are_refused_through_the_command(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    assert _carebot("db", "upgrade", env=env).returncode == 0
    template = tmp_path / "名单模板.xlsx"
    assert _carebot("roster", "template", template, env=env).returncode == 0

    dry = _carebot("roster", "import", "--dry-run", template, env=env)

    assert (dry.returncode, dry.stdout) == (1, "")
    lines = dry.stderr.splitlines()
    assert len(lines) == 7 and all("示例行" in line for line in lines[:6])
    assert "学生 第2行 学号: 这是导入模板中的示例行（2023000001 张三）" in lines[0]
    assert lines[-1] == "导入失败：共 6 处错误，未写入任何数据。"


def test_dry_run_import_confirm_roles_reimport_update_and_bad_file(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    assert _carebot("db", "upgrade", env=env).returncode == 0
    teachers = [staff("T1", 角色="学业导师"), staff("T2", 角色="辅导员、学院管理员")]
    pupils = [student("2023001", 联系电话="13900000001", 学业导师="T1", 学工教师="T2")]
    roster = write_xlsx(tmp_path / "名单.xlsx", students=pupils, staff_rows=teachers)

    dry = _carebot("roster", "import", "--dry-run", roster, env=env)
    unconfirmed = _carebot("roster", "import", roster, env=env)
    confirmed = _carebot("roster", "import", "--confirm-roles", roster, env=env)
    again = _carebot("roster", "import", roster, env=env)

    created = ["学生：新增 1 / 更新 0 / 未变 0", "教职工：新增 2 / 更新 0 / 未变 0"]
    roles = [
        "角色变化：",
        "  教师T1（T1）：新教职工，获得 学业导师",
        "  教师T2（T2）：新教职工，获得 辅导员、学院管理员",
    ]
    sheets = ["已读取：学生（1 行）、教职工（2 行）"]
    assert (dry.returncode, dry.stderr) == (0, "")
    assert dry.stdout.splitlines() == [
        *created,
        *roles,
        "试运行：以上为将要发生的变化，未写入任何数据。",
        "提醒：教师T2（T2）将获得可以查看全院或全校学生的角色（学院管理员），"
        "正式导入时需要加上 --confirm-roles。",
        *sheets,
    ]
    assert (unconfirmed.returncode, unconfirmed.stdout) == (1, "")
    assert unconfirmed.stderr.splitlines() == [
        *created,
        *roles,
        "以上角色变化中，教师T2（T2）将获得可以查看全院或全校学生的角色（学院管理员）。"
        "请核对无误后加上 --confirm-roles 重新导入；这次未写入任何数据。",
    ]
    assert (confirmed.returncode, confirmed.stderr) == (0, "")
    assert confirmed.stdout.splitlines() == [*created, *roles, "导入完成。", *sheets]
    assert (again.returncode, again.stdout.splitlines()[0]) == (
        0,
        "没有变化：学生 1 人，教职工 2 人均与数据库一致",
    )

    moved = [staff("T2", 角色="辅导员")]
    changed = [student("2023001", 学院="机械学院", 联系电话="13900000009", 类别="孤儿")]
    update = write_xlsx(tmp_path / "更新.xlsx", students=changed, staff_rows=moved)
    diff = _carebot("roster", "import", "--dry-run", update, env=env)
    bad = write_xlsx(
        tmp_path / "bad.xlsx", students=[student("2023009", 性别="X", 学业导师="T404")]
    )
    failed = _carebot("roster", "import", bad, env=env)

    assert (diff.returncode, diff.stderr) == (0, "")
    assert diff.stdout.splitlines() == [
        "学生：新增 0 / 更新 1 / 未变 0",
        "教职工：新增 0 / 更新 1 / 未变 0",
        "变化明细（敏感信息已隐藏）：",
        "  学生 2023001 学生2023001：学院 计算机学院 → 机械学院；"
        "联系电话 139****0001 → 139****0009；类别 有变化",
        "角色变化：",
        "  教师T2（T2）：失去 学院管理员",
        "试运行：以上为将要发生的变化，未写入任何数据。",
        "数据库中另有教职工 1 人不在文件中，保持不变。",
        "已读取：学生（1 行）、教职工（1 行）",
    ]
    assert "孤儿" not in diff.stdout
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
