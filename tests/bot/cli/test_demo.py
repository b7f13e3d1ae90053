"""`carebot demo` end to end through the real entry point (in this process, on SQLite)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from storage.demo.plan import academic_year
from tests.bot.cli.in_process import carebot
from tests.conftest import DATA_KEY


def _run(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CAREBOT_")}
    env = {"CAREBOT_DATABASE_URL": f"sqlite:///{db}", "CAREBOT_DATA_KEY": DATA_KEY}
    return carebot(*args, env={**base, **env})


def _counts(db: Path) -> list[int]:
    with sqlite3.connect(db) as connection:
        return [
            connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("person", "assignment", "visit_log")
        ]


def _well_known_students() -> list[str]:
    """The first three sophomores of the first college, as the CLI's clock sees the year."""
    sophomores = academic_year(datetime.now(UTC), ZoneInfo("Asia/Shanghai")) - 1
    return [f"{sophomores}01{serial:04d}" for serial in (1, 2, 3)]


def test_demo_loads_once_and_names_whom_to_try(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    assert _run("db", "upgrade", db=db).returncode == 0

    loaded = _run("demo", db=db)
    again = _run("demo", "--if-empty", db=db)

    assert loaded.returncode == 0, loaded.stderr
    assert "学生 300 人" in loaded.stdout and "特殊群体学生 60 人" in loaded.stdout
    assert "http://127.0.0.1:8000/sim" in loaded.stdout
    for code in ("T0001", "T0002", "T0003", "T0004", *_well_known_students()):
        assert f"  {code} " in loaded.stdout
    persons, assignments, visits = _counts(db)
    assert persons > 330 and assignments > 150 and visits > 500
    assert again.returncode == 0, again.stderr
    assert "未载入" in again.stdout
    assert _counts(db) == [persons, assignments, visits]


def test_demo_without_if_empty_refuses_a_loaded_database(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    assert _run("db", "upgrade", db=db).returncode == 0
    assert _run("demo", "--students", "60", "--seed", "3", db=db).returncode == 0
    before = _counts(db)

    second = _run("demo", "--students", "60", db=db)

    assert second.returncode == 1
    assert "空库" in second.stderr and "Traceback" not in second.stderr
    assert _counts(db) == before


def test_demo_before_migrations_says_what_to_run(tmp_path: Path) -> None:
    result = _run("demo", db=tmp_path / "empty.db")

    assert result.returncode == 1
    assert "carebot db upgrade" in result.stderr and "Traceback" not in result.stderr
