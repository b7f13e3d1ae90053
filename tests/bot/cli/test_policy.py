"""`carebot policy check` on a Typer app built here with the module's register()."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner, Result

from bot.cli.policy import register

INVALID = """
[[rule]]
id = "talk"
title = "谈心谈话"
students = "category:alien"
responsible = "team"
kinds = ["谈心谈话"]
cadence = { times = 0, per = "week" }

[[semester]]
name = "秋季"
start = 2026-09-07
end = 2027-01-17

[schedule]
quiet_hours = "21:30-21:30"
"""


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    app = typer.Typer()
    app.callback()(lambda: None)  # keep `policy` a sub-command, as in the real CLI
    register(app)
    base = {"CAREBOT_POLICY_FILE": None, "CAREBOT_TIMEZONE": None}
    return CliRunner().invoke(app, ["policy", "check", *args], env={**base, **(env or {})})


def test_check_summarises_the_shipped_policy_in_chinese() -> None:
    result = run("--today", "2026-11-23")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "检查通过。" in lines
    assert (
        "  谈心谈话：所有特殊群体学生，团队任一成员，学工教师提醒，每 15 天至少 1 次"
        "（计入：谈心谈话、心理疏导、电话/线上联系）"
    ) in lines
    assert (
        "  走访寝室：所有特殊群体学生，学工教师负责，每月至少 2 次，假期暂停（计入：走访寝室）"
        in lines
    )
    assert "  2026-2027学年第一学期：2026-09-07 至 2027-01-17" in lines
    assert "    考试周：2027-01-04 至 2027-01-15" in lines
    assert "    台账截止：2026-10-15" in lines
    assert "本学期（2026-2027学年第一学期）的重点时段：" in lines
    assert "  国庆节前：2026-09-24 至 2026-09-30（国庆节 2026-10-01 至 2026-10-07）" in lines
    assert "  考前：2026-12-28 至 2027-01-03（考试周 2027-01-04 至 2027-01-15）" in lines
    assert "每日提醒：每个工作日 08:30；免打扰：21:30-07:30" in lines
    assert any(line.startswith("逾期升级：逾期 3 天") for line in lines)
    assert "  2027 年的法定节假日尚未公布，按周末和策略文件中的假日计算" in lines
    assert result.stderr == ""


def test_today_defaults_to_the_system_date() -> None:
    result = run()

    assert result.exit_code == 0, result.output
    assert "日历数据：" in result.stdout


def test_in_a_vacation_the_next_semester_is_shown() -> None:
    result = run("--today", "2027-02-01")

    assert "下一学期（2026-2027学年第二学期）的重点时段：" in result.stdout
    assert "  寒假返校：2027-03-01 至 2027-03-07（2026-2027学年第二学期开学）" in result.stdout


def test_a_calendar_that_has_run_out_is_flagged() -> None:
    result = run("--today", "2027-09-01")

    assert result.exit_code == 0
    assert "注意：策略文件中没有 2027-09-01 及以后的学期，请添加新学期的日历。" in result.stdout


def test_invalid_file_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(INVALID, "utf-8")

    result = run("--file", str(path))

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert f"策略文件 {path} 有 3 处问题：" in result.stderr
    assert '  rule[1].cadence："times" 应是正整数' in result.stderr
    assert '  rule[1]："students" 里的类别代码 "alien" 不存在' in result.stderr
    assert '  schedule："quiet_hours" 应写成两个不同的时间 "HH:MM-HH:MM"' in result.stderr
    assert "Traceback" not in result.output


def test_the_file_comes_from_carebot_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(INVALID.replace("times = 0", "times = 1").replace("alien", "orphan"), "utf-8")

    bad = run(env={"CAREBOT_POLICY_FILE": str(path)})
    path.write_text(
        INVALID.replace("times = 0", "times = 1")
        .replace("alien", "orphan")
        .replace("21:30-21:30", "22:00-07:00"),
        "utf-8",
    )
    good = run("--today", "2026-11-23", env={"CAREBOT_POLICY_FILE": str(path)})

    assert bad.exit_code == 1 and "有 1 处问题" in bad.stderr
    assert good.exit_code == 0, good.output
    assert f"策略文件：{path}" in good.stdout
    assert (
        "  谈心谈话：孤儿学生，团队任一成员，学工教师提醒，每周至少 1 次（计入：谈心谈话）"
        in good.stdout
    )


def test_missing_file_and_unknown_zone(tmp_path: Path) -> None:
    missing = run("--file", str(tmp_path / "absent.toml"))
    zone = run("--timezone", "Mars/Olympus")

    assert missing.exit_code == 1 and "absent.toml：找不到这个文件" in missing.stderr
    assert zone.exit_code == 2 and "未知时区：Mars/Olympus" in zone.stderr
