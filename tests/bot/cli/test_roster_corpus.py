"""A handful of the messy-roster corpus through `carebot roster import` and its dry run: the
same outcome as the storage tests, worded on the terminal, and nothing written when refused."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest

from storage.db import make_engine, make_sessionmaker
from tests.bot.cli.test_roster import _carebot, _environment
from tests.conftest import DATA_KEY
from tests.fakes.messy_rosters import BY_ID, Format, Imported, Refused, write_case
from tests.fakes.roster_files import ROSTER_TABLES
from tests.storage.roster.test_corpus import check_lines, check_stored, several_sheets, stored

# (case, format, whether it grants a role that sees beyond one's own students)
CLI_CASES = [
    ("merged-team-down-class", "xls", True),  # team(): T2 becomes 学院管理员
    ("blank-cells-keep-stored", "csv", False),
    ("scientific-notation-code", "csv", False),
    ("misnamed-student-sheet", "xlsx", False),
]
NOTE = "注意："


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database, copied for each case: `db upgrade` once, not per case."""
    folder = tmp_path_factory.mktemp("migrated")
    assert _carebot("db", "upgrade", env=_environment(folder)).returncode == 0
    return folder / "cli.db"


def _counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        return {
            name: int(connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0])
            for name in ROSTER_TABLES
        }


async def _stored_in(database: Path, expected: Imported) -> None:
    engine = make_engine(f"sqlite:///{database}", data_key=DATA_KEY)
    try:
        check_stored(expected, await stored(make_sessionmaker(engine)))
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("case_id", "fmt", "wide"), CLI_CASES, ids=[f"{c}-{f}" for c, f, _ in CLI_CASES]
)
def test_corpus_case_through_the_command(
    case_id: str, fmt: Format, wide: bool, migrated: Path, tmp_path: Path
) -> None:
    case = BY_ID[case_id]
    database = tmp_path / "cli.db"
    shutil.copy(migrated, database)
    env = _environment(tmp_path)
    before, files = write_case(case, fmt, tmp_path / "files")
    if before:
        assert _carebot("roster", "import", "--confirm-roles", *before, env=env).returncode == 0
    counts = _counts(database)

    dry = _carebot("roster", "import", "--dry-run", *files, env=env)
    plain = _carebot("roster", "import", *files, env=env)

    if isinstance(case.expected, Refused):
        assert (dry.returncode, dry.stdout) == (1, "")
        assert (plain.returncode, plain.stdout, plain.stderr) == (1, "", dry.stderr)
        lines = dry.stderr.splitlines()
        _refusal(case.expected, lines, files, fmt=fmt, several=several_sheets(case, fmt))
        assert _counts(database) == counts
        return
    assert (dry.returncode, dry.stderr) == (0, "")
    for word in case.expected.notes:
        assert any(word in line for line in dry.stdout.splitlines() if line.startswith(NOTE))
    if wide:
        assert (plain.returncode, plain.stdout) == (1, "")
        assert "--confirm-roles" in plain.stderr
        assert _counts(database) == counts
        plain = _carebot("roster", "import", "--confirm-roles", *files, env=env)
    assert (plain.returncode, plain.stderr) == (0, "")
    asyncio.run(_stored_in(database, case.expected))


def _refusal(
    expected: Refused, lines: list[str], files: list[Path], *, fmt: Format, several: bool
) -> None:
    """Each file that gave no one is named on its own line; then the problem lines and the
    outcome line counting them."""
    empty = [line for line in lines if any(_names_file(line, f) for f in files)]
    assert [Path(line.split(" ", 1)[0]).stem for line in empty] == list(expected.empty)
    problems = [line for line in lines if line not in empty and not line.startswith("导入失败")]
    check_lines(expected, problems, fmt=fmt, several=several)
    if expected.lines:
        assert lines[-1].startswith(f"导入失败：共 {len(lines) - 1} 处错误")


def _names_file(line: str, file: Path) -> bool:
    """A line about the file as a whole, not one of its rows (学生.csv 第3行 …)."""
    return line.startswith(f"{file.name} ") and not line.startswith(f"{file.name} 第")
