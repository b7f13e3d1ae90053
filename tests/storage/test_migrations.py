"""Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage import migrate
from storage.crypto import new_key
from storage.db import make_engine

PG_URL = os.environ.get("CAREBOT_TEST_DATABASE_URL")


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a scratch PostgreSQL database."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    url = make_url(PG_URL)
    scratch = url.set(database=f"{url.database}_migrations")
    asyncio.run(_recreate_pg(url.render_as_string(hide_password=False), scratch.database or ""))
    yield scratch.render_as_string(hide_password=False)


async def _recreate_pg(url: str, name: str) -> None:
    engine = make_engine(url, data_key=new_key())
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await autocommit.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()


def _diff(connection: Any) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


async def _schema_diff(url: str) -> list[Any]:
    engine = make_engine(url, data_key=new_key())
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    await engine.dispose()
    return diff


def test_upgrade_head_matches_the_models(fresh_url: str) -> None:
    migrate.upgrade(fresh_url)

    assert asyncio.run(_schema_diff(fresh_url)) == []


def test_upgrade_is_repeatable(fresh_url: str) -> None:
    migrate.upgrade(fresh_url)
    migrate.upgrade(fresh_url)

    assert asyncio.run(_schema_diff(fresh_url)) == []
