"""`carebot keys rotate`, `carebot retention apply` and `carebot backup` / `restore` through
the real entry point, in-process, on a migrated SQLite file."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlmodel import select

from storage.crypto import new_key
from storage.db import make_engine, make_sessionmaker, session_scope
from storage.models import AuditEntry, Person
from tests.bot.cli.in_process import carebot
from tests.conftest import DATA_KEY
from tests.fakes.roster import make_staff, make_student
from tests.storage.test_rotation import _values

PHONE, GUARDIAN = "13900000001", "13800000002"


@pytest.fixture
async def env(tmp_path: Path) -> dict[str, str]:
    """A migrated database with a mentor, an old graduate and a current student."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREBOT_")} | {
        "CAREBOT_DATA_KEY": DATA_KEY,
        "CAREBOT_DATABASE_URL": url,
    }
    upgraded = carebot("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    engine = make_engine(url, data_key=DATA_KEY)
    async with session_scope(make_sessionmaker(engine)) as session:
        mentor = await make_staff(session, roles=("academic_mentor",), phone="13700000003")
        team = {"academic_mentor": mentor}
        old = await make_student(
            session, name="李毕业", code="2011000001", phone=PHONE, guardian_phone=GUARDIAN,
            categories=("orphan",), team=team, wecom="old1",
        )  # fmt: skip
        now = await make_student(session, name="王在读", code="2025000001", phone=PHONE, team=team)
        old.graduation_year, now.graduation_year = 2015, 2030
    await engine.dispose()
    return env


async def _people(env: dict[str, str], key: str = DATA_KEY) -> dict[str, Person]:
    engine = make_engine(env["CAREBOT_DATABASE_URL"], data_key=key, sqlite_immediate=False)
    async with make_sessionmaker(engine)() as session:
        people = (await session.exec(select(Person))).all()
    await engine.dispose()
    return {p.code: p for p in people}


Audited = list[tuple[str, int | None, str | None]]


async def _audit(env: dict[str, str], key: str = DATA_KEY) -> Audited:
    engine = make_engine(env["CAREBOT_DATABASE_URL"], data_key=key, sqlite_immediate=False)
    async with make_sessionmaker(engine)() as session:
        rows = (await session.exec(select(AuditEntry).order_by(AuditEntry.id))).all()  # type: ignore[arg-type]
    await engine.dispose()
    return [(row.action, row.subject_id, row.detail) for row in rows]


async def test_keys_rotate_moves_the_database_to_the_new_key(env: dict[str, str]) -> None:
    new = new_key()
    alone = env | {"CAREBOT_DATA_KEY": new}
    rotating = alone | {"CAREBOT_DATA_KEY_PREVIOUS": DATA_KEY}

    refused_alone = carebot("outbox", "status", env=alone)  # before: the new key is not it
    no_previous = carebot("keys", "rotate", env=alone)
    during = carebot("outbox", "status", env=rotating)
    rotated = carebot("keys", "rotate", env=rotating)

    assert refused_alone.returncode == 2 and no_previous.returncode == 2
    assert "CAREBOT_DATA_KEY_PREVIOUS" in no_previous.stderr
    assert during.returncode == 0, during.stderr
    assert rotated.returncode == 0, rotated.stderr
    assert "第 1 批已提交" in rotated.stdout and "密钥轮换完成" in rotated.stdout
    assert "删除 CAREBOT_DATA_KEY_PREVIOUS" in rotated.stdout
    assert carebot("outbox", "status", env=alone).returncode == 0
    assert carebot("outbox", "status", env=env).returncode == 2  # the old key alone: refused
    people = await _people(env, key=new)
    assert (people["2011000001"].phone, people["2011000001"].guardian_phone) == (PHONE, GUARDIAN)
    [(action, _, detail)] = await _audit(env, key=new)
    assert action == "keys_rotate" and detail and detail.startswith("rotated=4 current=0")
    again = carebot("keys", "rotate", env=rotating)  # harmless: nothing left to rotate
    assert again.returncode == 0 and "重新加密 0 个值，4 个原本就是新密钥" in again.stdout


async def test_retention_dry_run_lists_and_the_real_run_archives(env: dict[str, str]) -> None:
    dry = carebot("retention", "apply", "--dry-run", env=env)

    assert dry.returncode == 0, dry.stderr
    assert "预演" in dry.stdout and "2011000001" in dry.stdout and "李毕业" in dry.stdout
    assert "2015" in dry.stdout and "2025000001" not in dry.stdout
    assert (await _people(env))["2011000001"].phone == PHONE
    assert await _audit(env) == []

    done = carebot("retention", "apply", env=env)

    assert done.returncode == 0, done.stderr
    assert "已归档 1 名学生" in done.stdout and "李毕业" in done.stdout
    people = await _people(env)
    archived, current = people["2011000001"], people["2025000001"]
    assert archived.archived_at is not None and archived.phone is archived.guardian_phone is None
    assert current.archived_at is None and current.phone == PHONE
    assert await _audit(env) == [("retention_archive", archived.id, None)]
    assert "没有到期需要归档的学生" in carebot("retention", "apply", env=env).stdout


async def test_a_backup_taken_during_a_write_restores_what_was_committed(
    env: dict[str, str], tmp_path: Path
) -> None:
    live = Path(env["CAREBOT_DATABASE_URL"].removeprefix("sqlite:///"))
    out, restored = tmp_path / "backups" / "carebot.bak", tmp_path / "restored" / "carebot.db"
    committed = await _values(env["CAREBOT_DATABASE_URL"], key=DATA_KEY)
    writer = sqlite3.connect(live, isolation_level=None)
    # committed, but only in the write-ahead log while the service keeps the database open
    writer.execute("UPDATE person SET dorm = 'committed' WHERE code = '2025000001'")
    writer.execute("BEGIN IMMEDIATE")  # the service, in the middle of a write
    writer.execute("UPDATE person SET name = 'uncommitted'")
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(carebot, "backup", "--out", out, env=env)
        deadline = time.monotonic() + 60
        while not out.exists() and not running.done():  # the copy is taken during the write
            assert time.monotonic() < deadline, "no backup while a write was open"
            await asyncio.sleep(0.01)
        writer.execute("ROLLBACK")  # only now may the backup's audit entry be written
        writer.close()
        backed_up = running.result(timeout=60)
    refused = carebot("backup", "--out", out, env=env)
    there = env | {"CAREBOT_DATABASE_URL": f"sqlite:///{restored}"}

    first = carebot("restore", "--from", out, env=there)
    restore_audited = await _audit(there)
    over = carebot("restore", "--from", out, env=there)
    other_key = there | {"CAREBOT_DATA_KEY": new_key()}
    wrong_key = carebot("restore", "--from", out, "--force", env=other_key)

    assert backed_up.returncode == 0, backed_up.stderr
    assert "备份完成" in backed_up.stdout
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert first.returncode == 0 and "密钥校验通过" in first.stdout, first.stderr
    assert over.returncode == 2 and "已存在" in over.stderr
    assert wrong_key.returncode == 1 and "解不开" in wrong_key.stdout
    assert await _values(there["CAREBOT_DATABASE_URL"], key=DATA_KEY) == committed
    people = await _people(there)
    assert {p.name for p in people.values()} == {"李毕业", "王在读", "王老师"}
    assert people["2025000001"].dorm == "committed"
    # the same rows, but for the live database's record of the backup taken from it
    assert _counts(restored) == _counts(live) | {"audit_log": _counts(live)["audit_log"] - 1}
    [*_, backed] = await _audit(env)
    assert backed[0] == "backup" and backed[2] == f"bytes={out.stat().st_size}"
    assert restore_audited[-1] == ("restore", None, f"bytes={out.stat().st_size}")
    assert carebot("outbox", "status", env=there).returncode == 0


def test_restore_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bak"
    junk.write_text("not a database")
    env = {"CAREBOT_DATA_KEY": DATA_KEY, "CAREBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}

    result = carebot("restore", "--from", junk, env=env)

    assert result.returncode == 2 and "不是完好的 SQLite 数据库文件" in result.stderr
    assert not (tmp_path / "x.db").exists()


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        names = [row[0] for row in tables]
        return {t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in names}
