"""The admin's command line answers in Chinese: help pages, usage errors, settings, policy files.

Every case goes through `bot.cli.main.main`, the `carebot` entry point: the tests named "the
executable" in a subprocess of the real executable (side by side: each one spends a second or
two importing), the rest in this process, where a call costs milliseconds.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from typer.core import TyperGroup
from typer.main import get_command

from bot.cli import main as cli
from bot.cli.usage import run
from tests.bot.cli import in_process
from tests.conftest import DATA_KEY

CAREBOT = str(Path(sys.executable).with_name("carebot"))
ENGLISH = re.compile(
    r"Usage|Options|Arguments|Commands|Show this message|Try '|Error|default:|env var|"
    r"required|Missing|Invalid|No such|Got unexpected|<bool>|<str>|<int>|<path>|Traceback"
)
PROSE = re.compile(r"\b[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}\b")  # three English words in a row
COMMAND_PATH = re.compile(r"carebot(?: [a-z][a-z-]*)*")
CJK = re.compile(r"[\u4e00-\u9fff]")

Run = tuple[tuple[str | Path, ...], dict[str, str]]
Result = tuple[int, str, str]  # exit code, stdout, stderr


def _walk(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from _walk(sub, (*path, name))


def _commands() -> list[tuple[str, ...]]:
    cli._register_optional()
    return list(_walk(get_command(cli.app)))


COMMANDS = _commands()


def _process_env(env: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CAREBOT_")}
    return {**base, "COLUMNS": "200", **env}


def _run(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [CAREBOT, *map(str, args)]
    return subprocess.run(
        command, env=_process_env(env), capture_output=True, text=True, timeout=60
    )


def _run_all(runs: list[Run]) -> list[Result]:
    """Each run by the executable, in processes side by side."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(lambda run: _run(*run[0], env=run[1]), runs))
    return [(result.returncode, result.stdout, result.stderr) for result in done]


def _in_process(runs: list[Run]) -> list[Result]:
    """Each run in this process, under the environment a process would have had."""
    done = [in_process.carebot(*args, env=_process_env(env)) for args, env in runs]
    return [(result.returncode, result.stdout, result.stderr) for result in done]


@pytest.fixture
def carebot(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[object]:
    """`carebot ARGS` in this process: (exit code, stdout, stderr)."""
    monkeypatch.setenv("COLUMNS", "200")

    def call(*args: str | Path) -> Result:
        capsys.readouterr()
        with pytest.raises(SystemExit) as ended:
            cli.main([str(arg) for arg in args])
        out, err = capsys.readouterr()
        return int(ended.value.code or 0), out, err

    yield call


def _env(db: Path, key: str | None = DATA_KEY) -> dict[str, str]:
    env = {"CAREBOT_DATABASE_URL": f"sqlite:///{db}"}
    return env if key is None else {**env, "CAREBOT_DATA_KEY": key}


def _clean(text: str) -> None:
    text = COMMAND_PATH.sub("", text)
    assert not ENGLISH.search(text), text
    assert not PROSE.search(text), text


def _help_page(path: tuple[str, ...], code: int, page: str) -> None:
    assert code == 0
    assert f"用法：{' '.join(('carebot', *path))} [选项]" in page
    assert "─ 选项 ─" in page and "显示本说明并退出。" in page
    assert CJK.search(page.split("用法：")[1].split("─")[0])  # the command's own description
    _clean(page)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "carebot")
def test_every_help_page_is_chinese(carebot: Any, path: tuple[str, ...]) -> None:
    code, page, _ = carebot(*path, "--help")

    _help_page(path, code, page)


def test_the_executable_shows_the_same_chinese_help(tmp_path: Path) -> None:
    pages = _run_all([(("--help",), {}), (("roster", "import", "--help"), {})])

    for path, (code, page, err) in zip([(), ("roster", "import")], pages, strict=True):
        assert err == ""
        _help_page(path, code, page)


def test_there_are_commands_to_check() -> None:
    assert {("roster", "import"), ("db", "upgrade"), ("remind",), ("policy", "check")} <= set(
        COMMANDS
    )


USAGE_ERRORS = [
    (("--bogus",), "carebot：没有 --bogus 这个选项。"),
    (("db", "upgrade", "--revison", "head"), "carebot：没有 --revison 这个选项，您是不是想用"),
    (("roster", "import"), "carebot：还缺少 FILES（名单文件"),
    (("demo", "--students", "3"), "carebot：--students 的值「3」不对：应是不小于 50 的整数。"),
    (("policy", "check", "--today", "2026-13-01"), "carebot：--today 的值「2026-13-01」不对："),
    (("rostr",), "carebot：没有「rostr」这个命令，您是不是想用 roster、restore。"),
    (("remind", "extra"), "carebot：多写了「extra」，这个命令用不到它"),
    (("demo", "--seed"), "carebot：选项 --seed 后面要写一个值。"),
    (("demo", "--if-empty=yes"), "carebot：选项 --if-empty 是开关，后面不用写值。"),
    (("policy", "check", "--file"), "carebot：选项 --file 后面要写一个值。"),
    (
        ("serve", "--port", "99999"),
        "carebot：--port 的值「99999」不对：应是 1 到 65535 之间的整数。",
    ),
    (("roster", "template", "a.xlsx", "b.xlsx"), "carebot：多写了「b.xlsx」"),
]


def _usage_error(args: tuple[str, ...], expected: str, result: Result) -> None:
    code, out, err = result
    first, usage, *_, hint = err.strip().splitlines()
    assert (code, out) == (2, ""), args
    assert first.startswith(expected), (args, err)
    assert usage.startswith("用法：carebot"), args
    assert hint.startswith("运行 `carebot") and hint.endswith("--help` 查看说明。"), args
    _clean(err)


@pytest.mark.parametrize(
    ("args", "expected"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS]
)
def test_usage_errors_say_what_is_wrong_in_chinese_with_exit_2(
    carebot: Any, args: tuple[str, ...], expected: str
) -> None:
    _usage_error(args, expected, carebot(*args))


def test_choices_and_checked_paths_are_explained_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = typer.Typer()

    @app.command()
    def pick(
        kind: Annotated[Kind, typer.Option()] = Kind.xlsx,
        source: Annotated[Path | None, typer.Option(exists=True, dir_okay=False)] = None,
    ) -> None:
        """挑一个。"""

    answers = []
    for args in (
        ["--kind", "doc"],
        ["--source", str(tmp_path / "无.xlsx")],
        ["--source", str(tmp_path)],
    ):
        assert run(app, args) == 2
        answers.append(capsys.readouterr().err.splitlines()[0])

    assert answers == [
        "carebot：--kind 的值「doc」不对：只能是 xlsx、csv 之一。",
        f"carebot：--source 的值「{tmp_path / '无.xlsx'}」不对：找不到这个文件，"
        "请检查路径和文件名。",
        f"carebot：--source 的值「{tmp_path}」不对：这是一个文件夹，请写出其中的文件名。",
    ]


class Kind(StrEnum):
    xlsx = "xlsx"
    csv = "csv"


def test_the_executable_answers_usage_errors_in_chinese(tmp_path: Path) -> None:
    picked = [USAGE_ERRORS[0], USAGE_ERRORS[3]]

    results = _run_all([(args, _env(tmp_path / "x.db")) for args, _ in picked])

    for (args, expected), result in zip(picked, results, strict=True):
        _usage_error(args, expected, result)


def test_settings_errors_name_the_variable_and_advise_by_whether_data_exists(
    tmp_path: Path, carebot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded, fresh = tmp_path / "loaded.db", tmp_path / "fresh.db"
    with monkeypatch.context() as env:
        for name, value in _env(loaded).items():
            env.setenv(name, value)
        assert carebot("db", "upgrade")[0] == 0
    new_none, old_bad = _in_process(
        [
            (("outbox", "status"), _env(fresh, key=None)),
            (("roster", "import", "x.xlsx"), _env(loaded, key=DATA_KEY[:-2])),
        ]
    )
    monkeypatch.setenv("CAREBOT_DATABASE_URL", f"sqlite:///{fresh}")
    monkeypatch.setenv("CAREBOT_DATA_KEY", "changeme")
    new_bad = carebot("outbox", "status")
    monkeypatch.setenv("CAREBOT_DATABASE_URL", f"sqlite:///{loaded}")
    monkeypatch.delenv("CAREBOT_DATA_KEY")
    old_none = carebot("remind")
    monkeypatch.setenv("CAREBOT_DATA_KEY", DATA_KEY)
    monkeypatch.setenv("CAREBOT_TIMEZONE", "Beijing")
    monkeypatch.setenv("CAREBOT_SIMULATOR", "yes please")
    two = carebot("serve")

    for code, _, err in (new_none, new_bad, old_none, old_bad):
        assert code == 2
        [line] = err.strip().splitlines()
        assert line.startswith("carebot：") and "CAREBOT_DATA_KEY" in line
        assert "changeme" not in line and DATA_KEY[:-2] not in line  # never echo a key
        _clean(line)
    assert "还没有设置" in new_none[2] and "格式不对" in new_bad[2]
    assert all("`carebot keys new` 生成一把" in r[2] for r in (new_none, new_bad))
    for _, _, err in (old_none, old_bad):
        assert "当初加密这些数据的那把密钥" in err and "keys new" not in err
    assert not fresh.exists()  # asking whether data exists created no database
    assert two[0] == 2
    assert two[2].strip().splitlines() == [
        "carebot：CAREBOT_TIMEZONE「Beijing」不是已知的时区，请写成 Asia/Shanghai 这样的时区名。",
        "carebot：CAREBOT_SIMULATOR「yes please」应是 true 或 false。",
    ]


BAD_DATES = """
[[rule]]
id = "talk"
title = "谈心谈话"
students = "special"
responsible = "team"
kinds = ["谈心谈话"]
cadence = { every_days = 15 }

[[semester]]
name = "2026-2027学年第一学期"
start = 2026-09-31
end = 2027-1-17
exam_weeks = [[2027-01-04, 2027-02-30]]
"""


def test_policy_check_reports_every_finding_of_an_office_edited_file(
    tmp_path: Path, carebot: Any
) -> None:
    dates = tmp_path / "日期.toml"
    dates.write_text(BAD_DATES, "utf-8")
    gbk = tmp_path / "记事本.toml"
    gbk.write_bytes(BAD_DATES.encode("gbk"))
    quotes = tmp_path / "引号.toml"
    quotes.write_text(
        BAD_DATES.replace('title = "谈心谈话"', "title = “谈心谈话”").replace(
            'name = "2026-2027学年第一学期"', "name = ＂2026-2027学年第一学期＂"
        ),
        "utf-8",
    )
    syntax = tmp_path / "语法.toml"
    syntax.write_text(BAD_DATES.replace("[[semester]]", "[[semester]"), "utf-8")
    folder = tmp_path / "策略"
    folder.mkdir()
    files = [dates, gbk, quotes, syntax, folder]

    encoded, quoted = _in_process(
        [(("policy", "check", "--file", file), {}) for file in (gbk, quotes)]
    )
    results = [carebot("policy", "check", "--file", dates), encoded, quoted]
    results += [carebot("policy", "check", "--file", file) for file in (syntax, folder)]

    for file, (code, out, err) in zip(files, results, strict=True):
        assert (code, out) == (1, ""), err
        head, *findings, advice = err.strip().splitlines()
        assert head.startswith(f"策略文件 {file} 有 {len(findings)} 处问题：")
        assert advice.startswith("改好后再运行一次 `carebot policy check`")
        assert all(CJK.search(line) and line.startswith("  ") for line in findings)
        assert "Traceback" not in err
    dated, encoded, quoted, broken, foldered = (err.splitlines()[1:-1] for _, _, err in results)
    assert dated == [
        '  semester[1]："start" 应是存在的日期，写成 YYYY-MM-DD（例如 2026-09-01），'
        '不能是 "2026-09-31"。',
        '  semester[1]："end" 应是存在的日期，写成 YYYY-MM-DD（例如 2026-09-01），'
        '不能是 "2027-1-17"。',
        '  semester[1]："exam_weeks" 第 1 项应是 [开始, 结束] 两个日期且开始不晚于结束，'
        '不能是 ["2027-01-04", "2027-02-30"]。',
    ]
    assert encoded == [
        f"  {gbk}：文件是用 GBK（ANSI）编码保存的，请用 UTF-8 编码另存一次"
        "（记事本、WPS：另存为 → 编码选 UTF-8）。"
    ]
    assert quoted == [
        f'  {quotes} 第 4 行：用了中文引号（“ ” 或 ＂），请改成英文双引号 "…"。',
        f'  {quotes} 第 11 行：用了中文引号（“ ” 或 ＂），请改成英文双引号 "…"。',
        *dated,
    ]
    assert broken == [f"  {syntax} 第 10 行第 11 列：方括号 [ ] 或花括号 {{ }} 没有闭合，请补上。"]
    assert foldered == [f"  {folder}：这是一个文件夹，请写出策略文件（.toml）本身的路径。"]


def test_bad_revisions_and_a_folder_for_a_file_are_one_line_each(
    tmp_path: Path, carebot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "r.db"
    folder = tmp_path / "名单.xlsx"
    folder.mkdir()
    runs: list[Run] = [
        (("db", "upgrade", "--revision", "head-50"), _env(db)),
        (("roster", "template", "--force", folder), _env(db)),
    ]

    head_far, template = _in_process(runs)
    for name, value in _env(db).items():
        monkeypatch.setenv(name, value)
    others = [carebot("db", "upgrade", "--revision", r) for r in ("head-99", "0001-3", "base+60")]

    for revision, (code, _, err) in zip(
        ["head-50", "head-99", "0001-3", "base+60"], [head_far, *others], strict=True
    ):
        assert code == 2
        [line] = err.strip().splitlines()
        assert line.startswith(f"carebot：没有名为「{revision}」的数据库版本，什么都没有改动。")
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == []
    assert template[0] == 2
    [line] = template[2].strip().splitlines()
    assert line.startswith(f"carebot：{folder} 是一个文件夹") and "Traceback" not in line
