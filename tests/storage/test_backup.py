"""PostgreSQL backups (storage/backup.py): pg_dump of the test database restored with
pg_restore into a scratch database gives the same rows; the connection becomes libpq options."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.backup import backup, libpq_args, restore
from storage.db import make_engine
from tests.bot.cli.in_process import carebot
from tests.conftest import DATA_KEY, PG_URL
from tests.fakes.clock import FakeClock
from tests.storage.test_crypto import _one_of_each
from tests.storage.test_rotation import _values

SCRATCH = "carebot_restore_test"


def test_an_asyncpg_url_becomes_libpq_options() -> None:
    url = make_url("postgresql+asyncpg://carebot:s3cret@db.internal:6543/carebot")

    args = libpq_args(url)

    assert " ".join(args) == (
        "--host db.internal --port 6543 --username carebot --no-password --dbname carebot"
    )  # the password goes in PGPASSWORD, never on the command line


def test_a_missing_pg_dump_is_explained(tmp_path: Path) -> None:
    env = {
        "CAREBOT_DATA_KEY": DATA_KEY,
        "CAREBOT_DATABASE_URL": "postgresql+asyncpg://carebot@127.0.0.1:1/carebot",
        "PATH": str(tmp_path),  # no pg_dump here
    }

    result = carebot("backup", "--out", tmp_path / "x.dump", env=env)

    assert result.returncode == 2 and "找不到 pg_dump" in result.stderr
    assert not (tmp_path / "x.dump").exists()


async def _recreate(name: str, *, drop_only: bool = False) -> None:
    assert PG_URL
    engine = make_engine(PG_URL, data_key=DATA_KEY)
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not drop_only:
            await autocommit.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()


@pytest.fixture
async def scratch_url() -> AsyncIterator[str]:
    if not PG_URL:
        pytest.skip("PostgreSQL only (CAREBOT_TEST_DATABASE_URL)")
    await _recreate(SCRATCH)
    yield make_url(PG_URL).set(database=SCRATCH).render_as_string(hide_password=False)
    await _recreate(SCRATCH, drop_only=True)


async def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url, data_key=DATA_KEY)
    async with engine.connect() as connection:
        found = {}
        for table in SQLModel.metadata.sorted_tables:
            count = await connection.execute(text(f'SELECT count(*) FROM "{table.name}"'))
            found[table.name] = int(count.scalar_one())
    await engine.dispose()
    return found


async def test_pg_dump_restores_into_another_database(
    engine: AsyncEngine,
    session: AsyncSession,
    clock: FakeClock,
    database_url: str,
    scratch_url: str,
    tmp_path: Path,
) -> None:
    await _one_of_each(session, clock)
    dump = tmp_path / "carebot.dump"

    backup(database_url, dump)
    restore(scratch_url, dump)

    counts = await _counts(database_url)
    assert sum(counts.values()) >= 20
    assert await _counts(scratch_url) == counts
    assert await _values(scratch_url, key=DATA_KEY) == await _values(database_url, key=DATA_KEY)
    restore(scratch_url, dump)  # --clean --if-exists: again over itself
    assert await _counts(scratch_url) == counts
