"""The carebot command through its real entry point: in this process, except where the
process is what is tested (two clock processes, `carebot serve`), a real `carebot`."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from storage.crypto import validate_key
from tests.bot.cli.in_process import carebot
from tests.conftest import DATA_KEY

CAREBOT = str(Path(sys.executable).with_name("carebot"))


def _environment(env: dict[str, str] | None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CAREBOT_")}
    return {**base, **(env or {})}


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return carebot(*args, env=_environment(env))


def _process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed executable, in a process of its own."""
    command = [CAREBOT, *args]
    return subprocess.run(
        command, env=_environment(env), capture_output=True, text=True, timeout=60
    )


def test_keys_new_prints_a_usable_key() -> None:
    result = _run("keys", "new")

    assert result.returncode == 0
    validate_key(result.stdout.strip())


def test_db_upgrade_creates_tables_and_categories(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    env = {"CAREBOT_DATABASE_URL": f"sqlite:///{db}", "CAREBOT_DATA_KEY": DATA_KEY}

    first = _run("db", "upgrade", env=env)
    second = _run("db", "upgrade", env=env)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    with sqlite3.connect(db) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM category")}
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    assert {"孤儿", "退役士兵", "心理异常", "行为违纪"} <= names and len(names) == 13
    assert mode == "wal"


def test_invalid_settings_end_with_one_line_not_a_traceback(tmp_path: Path) -> None:
    result = _run("db", "upgrade", env={"CAREBOT_DATA_KEY": "changeme"})

    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "CAREBOT_DATA_KEY" in result.stderr and "Traceback" not in result.stderr


def test_a_call_in_this_process_leaves_no_logging_setup_behind(tmp_path: Path) -> None:
    """`outbox send` sets up logging (bot.logs.configure) before it finds the database not
    migrated: its handler and levels belong to that call, as they would to its process."""
    root, httpx = logging.getLogger(), logging.getLogger("httpx")
    before = (list(root.handlers), root.level, httpx.level, dict(os.environ))
    env = {
        "CAREBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "CAREBOT_DATA_KEY": DATA_KEY,
        "CAREBOT_LOG_LEVEL": "DEBUG",
    }

    result = _run("outbox", "send", env=env)

    assert result.returncode == 2 and "carebot db upgrade" in result.stderr
    assert (list(root.handlers), root.level, httpx.level, dict(os.environ)) == before


def test_outbox_status_counts_rows_and_errors(tmp_path: Path) -> None:
    db = tmp_path / "outbox.db"
    env = {"CAREBOT_DATABASE_URL": f"sqlite:///{db}", "CAREBOT_DATA_KEY": DATA_KEY}
    assert _run("db", "upgrade", env=env).returncode == 0
    with sqlite3.connect(db) as connection:
        connection.executemany(
            "INSERT INTO outbox (channel, recipient, idempotency_key, payload, content_key,"
            " status, attempts, next_attempt_at, created_at, last_error)"
            " VALUES ('wecom', ?, ?, 'x', 'k', ?, 1, '2026-01-01', '2026-01-01', ?)",
            [
                ("a", "1", "sent", None),
                ("b", "2", "failed", "81013: invalid user"),
                ("c", "3", "failed", "81013: invalid user"),
            ],
        )

    result = _run("outbox", "status", env=env)

    assert result.returncode == 0, result.stderr
    assert "wecom      failed           2" in result.stdout
    assert "2  81013: invalid user" in result.stdout


def test_a_second_clock_stands_by(tmp_path: Path) -> None:
    db = tmp_path / "clock.db"
    env = {
        "CAREBOT_DATABASE_URL": f"sqlite:///{db}",
        "CAREBOT_DATA_KEY": DATA_KEY,
        "CAREBOT_SIMULATOR": "true",
    }
    assert _run("db", "upgrade", env=env).returncode == 0
    leader = subprocess.Popen(
        [CAREBOT, "clock"], env=_environment(env), stderr=subprocess.PIPE, text=True
    )
    try:
        assert leader.stderr is not None
        assert "clock is the leader" in _read_until(leader.stderr, "leader")
        # Read the second clock's lines until it says it stands by: no fixed wait, so a slow
        # start on a loaded machine cannot make it miss the window.
        second = subprocess.Popen(
            [CAREBOT, "clock"], env=_environment(env), stderr=subprocess.PIPE, text=True
        )
        guard = threading.Timer(60, second.terminate)  # a clock that never says it ends the read
        guard.start()
        try:
            assert second.stderr is not None
            assert "another clock is the leader" in _read_until(second.stderr, "another clock")
            assert second.poll() is None  # it stands by rather than exiting
        finally:
            guard.cancel()
            second.terminate()
            second.communicate(timeout=10)
    finally:
        leader.terminate()
        leader.communicate(timeout=10)


def _read_until(stream: object, word: str) -> str:
    seen = ""
    for line in stream:  # type: ignore[attr-defined]
        seen += line
        if word in line:
            break
    return seen


def test_serve_refuses_an_exposed_simulator_in_one_chinese_line(tmp_path: Path) -> None:
    env = {
        "CAREBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "CAREBOT_DATA_KEY": DATA_KEY,
        "CAREBOT_SIMULATOR": "true",
    }
    # a process: were the refusal broken, the server would run (and be killed at the timeout)
    result = _process("serve", "--host", "0.0.0.0", "--port", "8999", env=env)

    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "CAREBOT_SIMULATOR_TOKEN" in line and "0.0.0.0" in line and "模拟器" in line
