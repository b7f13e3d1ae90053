"""A wrong CAREBOT_DATA_KEY or an un-migrated database: one Chinese line, exit 2, no writes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import create_app
from bot.settings import Settings
from storage.crypto import new_key
from storage.db import make_sessionmaker, session_scope
from storage.keycheck import DataKeyError, KeyState, record_key
from tests.bot.cli.in_process import carebot
from tests.conftest import DATA_KEY
from tests.fakes.roster_files import staff, student, write_xlsx

CAREBOT = str(Path(sys.executable).with_name("carebot"))
OTHER_KEY = new_key()
MISMATCH = (
    "carebot：CAREBOT_DATA_KEY 与数据库里的数据不匹配：这个数据库是用另一把密钥加密的。"
    "请换回原来的密钥；不要生成新密钥，否则已有数据无法读取。"
)
UPGRADE_HINT = "carebot db upgrade"
LONG_RUNNING = frozenset({"clock", "serve"})  # tested as processes (see _run)


def _run(
    *args: str | Path, db: Path, key: str = DATA_KEY, timeout: float = 60, process: bool = False
) -> subprocess.CompletedProcess[str]:
    """`carebot ARGS` in this process; with `process`, the executable in a process of its own
    (the commands that would run until stopped were their refusal broken: a process is killed
    at the timeout, a thread could not be)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CAREBOT_")}
    env = {
        **base,
        "CAREBOT_DATABASE_URL": f"sqlite:///{db}",
        "CAREBOT_DATA_KEY": key,
        "CAREBOT_SIMULATOR": "true",
    }
    if not process:
        return carebot(*args, env=env, timeout=timeout)
    command = [CAREBOT, *map(str, args)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        tables = [
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    [line] = result.stderr.strip().splitlines()
    return line


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A database migrated with DATA_KEY and holding an imported roster; and that roster."""
    folder = tmp_path_factory.mktemp("loaded")
    db, roster = folder / "loaded.db", folder / "名单.xlsx"
    assert _run("db", "upgrade", db=db).returncode == 0
    teachers = [staff("T1", 角色="学业导师")]
    write_xlsx(roster, students=[student("2023001", 学业导师="T1")], staff_rows=teachers)
    imported = _run("roster", "import", roster, db=db)
    assert imported.returncode == 0, imported.stderr
    return db, roster


@pytest.mark.parametrize(
    "command",
    [
        ["roster", "import", "{roster}"],
        ["roster", "import", "--dry-run", "{roster}"],
        ["demo", "--students", "60"],
        ["demo", "--if-empty"],
        ["remind", "--now"],
        ["outbox", "status"],
        ["outbox", "send"],
        ["db", "upgrade"],
        ["clock"],
        ["serve", "--port", "8998"],
    ],
    ids=" ".join,
)
def test_another_key_is_refused_before_anything_is_written(
    loaded: tuple[Path, Path], command: list[str]
) -> None:
    db, roster = loaded
    before = _counts(db)
    args = [arg.format(roster=roster) for arg in command]
    process = command[0] in LONG_RUNNING

    result = _run(*args, db=db, key=OTHER_KEY, timeout=30, process=process)

    assert result.returncode == 2
    assert _one_line(result) == MISMATCH
    assert _counts(db) == before


def test_db_upgrade_records_the_key_once_and_the_right_key_keeps_working(
    loaded: tuple[Path, Path],
) -> None:
    db, roster = loaded

    again = _run("db", "upgrade", db=db)
    reimport = _run("roster", "import", roster, db=db)
    status = _run("outbox", "status", db=db)

    assert (again.returncode, reimport.returncode, status.returncode) == (0, 0, 0)
    assert reimport.stdout.startswith("没有变化")
    with sqlite3.connect(db) as connection:
        [(canary,)] = connection.execute("SELECT canary FROM key_check").fetchall()
    Fernet(DATA_KEY.encode()).decrypt(canary.encode())  # stored under the key it was given


@pytest.mark.parametrize(
    "command",
    [["roster", "import", "{roster}"], ["outbox", "status"], ["remind", "--now"]],
    ids=" ".join,
)
def test_an_unmigrated_database_says_to_run_db_upgrade(
    tmp_path: Path, loaded: tuple[Path, Path], command: list[str]
) -> None:
    _, roster = loaded
    args = [arg.format(roster=roster) for arg in command]

    result = _run(*args, db=tmp_path / "empty.db")

    assert result.returncode == 2
    line = _one_line(result)
    assert UPGRADE_HINT in line and line.startswith("carebot：")


def test_a_database_from_before_the_key_check_is_checked_against_its_data(
    tmp_path: Path,
) -> None:
    db = tmp_path / "old.db"
    assert _run("db", "upgrade", "--revision", "0003", db=db).returncode == 0
    payload = Fernet(DATA_KEY.encode()).encrypt(b"{}").decode()
    with sqlite3.connect(db) as connection:
        connection.execute(
            "INSERT INTO pending_inbound (channel, dedupe_key, payload, received_at)"
            " VALUES ('wecom', 'm1', ?, '2026-01-01 00:00:00')",
            [payload],
        )

    wrong = _run("db", "upgrade", db=db, key=OTHER_KEY)
    wrong_import = _run("outbox", "status", db=db, key=OTHER_KEY)
    right = _run("db", "upgrade", db=db)

    assert (wrong.returncode, _one_line(wrong)) == (2, MISMATCH)
    assert (wrong_import.returncode, _one_line(wrong_import)) == (2, MISMATCH)
    assert right.returncode == 0, right.stderr
    with sqlite3.connect(db) as connection:
        [(canary,)] = connection.execute("SELECT canary FROM key_check").fetchall()
    Fernet(DATA_KEY.encode()).decrypt(canary.encode())


async def test_the_web_process_does_not_start_with_another_key(
    engine: AsyncEngine, settings: Settings
) -> None:
    async with session_scope(make_sessionmaker(engine)) as session:
        await record_key(session)
    wrong = settings.model_copy(update={"data_key": SecretStr(OTHER_KEY)})
    application = create_app(wrong)

    with pytest.raises(DataKeyError) as refused:
        async with application.router.lifespan_context(application):
            pass

    assert refused.value.state is KeyState.MISMATCH
