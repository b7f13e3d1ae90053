"""Backups and restores (docs/backup.md): SQLite through its online backup API, PostgreSQL
through pg_dump / pg_restore. Encrypted columns stay encrypted: a backup needs its data key."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Sequence
from contextlib import closing
from enum import StrEnum
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from storage.db import is_sqlite

BUSY_MS = 10_000


class Problem(StrEnum):
    NOT_A_FILE_DATABASE = "not_a_file_database"
    EXISTS = "exists"
    MISSING = "missing"
    NOT_SQLITE = "not_sqlite"
    NO_TOOL = "no_tool"
    TOOL_FAILED = "tool_failed"


class BackupError(RuntimeError):
    """Why a backup or restore did not happen; `detail`: a path, a tool, its last line."""

    def __init__(self, problem: Problem, detail: str = "") -> None:
        super().__init__(f"{problem.value}: {detail}")
        self.problem = problem
        self.detail = detail


def backup(url: str, out: Path, *, force: bool = False) -> None:
    """Write a backup of the database at `url` to `out` (refused if it exists, unless
    `force`); safe while the service runs."""
    if out.exists() and not force:
        raise BackupError(Problem.EXISTS, str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    if is_sqlite(url):
        _copy_sqlite(_sqlite_path(url), partial)
    else:
        _run("pg_dump", ["--format=custom", "--file", str(partial)], make_url(url))
    os.replace(partial, out)  # a backup file is whole or absent


def restore(url: str, source: Path, *, force: bool = False) -> None:
    """Restore `source` into the configured database. SQLite: only into a missing file,
    unless `force`; PostgreSQL: pg_restore --clean --if-exists, in one transaction."""
    if not source.is_file():
        raise BackupError(Problem.MISSING, str(source))
    if not is_sqlite(url):
        args = ["--clean", "--if-exists", "--single-transaction", str(source)]
        _run("pg_restore", args, make_url(url))
        return
    target = _sqlite_path(url)
    if target.exists() and not force:
        raise BackupError(Problem.EXISTS, str(target))
    _check_sqlite(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy_sqlite(source, target)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(Problem.NOT_A_FILE_DATABASE, database or "")
    return Path(database)


def _copy_sqlite(source: Path, target: Path) -> None:
    """sqlite3's online backup: a consistent copy of what is committed, while writers go on
    (WAL readers never block them); into an existing target it replaces the content."""
    if not source.is_file():
        raise BackupError(Problem.MISSING, str(source))
    with (
        closing(sqlite3.connect(source, timeout=BUSY_MS / 1000)) as src,
        closing(sqlite3.connect(target, timeout=BUSY_MS / 1000)) as dst,
    ):
        src.backup(dst)


def _check_sqlite(source: Path) -> None:
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db:
            ok = db.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(Problem.NOT_SQLITE, str(source)) from exc
    if not ok or ok[0] != "ok":
        raise BackupError(Problem.NOT_SQLITE, str(source))


def libpq_args(url: URL) -> list[str]:
    """The connection of a SQLAlchemy URL (asyncpg or not) as pg_dump / pg_restore options."""
    args = []
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    return [*args, "--no-password", "--dbname", url.database or "postgres"]


def _run(tool: str, args: Sequence[str], url: URL) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(Problem.NO_TOOL, tool)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # never on the command line (ps shows it)
    done = subprocess.run(
        [executable, *libpq_args(url), *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise BackupError(Problem.TOOL_FAILED, f"{tool}: {lines[-1] if lines else done.returncode}")
