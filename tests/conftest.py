"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

import storage.models  # noqa: F401  (registers tables)
from bot.app import create_app
from bot.settings import Settings
from storage.db import make_engine, make_sessionmaker, session_scope
from storage.people.categories import sync_categories
from tests.fakes.clock import FakeClock

DATA_KEY = "0Xm2GRUFyeNI5iEPOAzaFYUUi8YIzLqL8_3VdMWOgtY="
PG_URL = os.environ.get("CAREBOT_TEST_DATABASE_URL")


# What the suite's sensitive scenarios write (crisis words, family troubles, phone numbers):
# none of it may appear in any log line of any test, error messages and tracebacks included.
SENSITIVE_IN_LOGS = re.compile(r"不想活|安眠药|轻生|自杀|欠债|1[3-9]\d{9}")


@pytest.fixture(autouse=True)
def no_sensitive_text_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.INFO)
    yield
    leaks = [
        record
        for record in caplog.records
        if SENSITIVE_IN_LOGS.search(_logged(record, caplog.handler.formatter))
    ]
    assert not leaks, f"sensitive text in log lines: {[r.getMessage()[:80] for r in leaks]}"


def _logged(record: logging.LogRecord, formatter: logging.Formatter | None) -> str:
    text = record.getMessage()
    if record.exc_info and formatter is not None:
        text += formatter.formatException(record.exc_info)
    return text


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return PG_URL or f"sqlite:///{tmp_path / 'carebot.db'}"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url, data_key=DATA_KEY)
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql" and database_url in _SCHEMA_BUILT:
            await _empty_postgresql(connection)
        else:
            _SCHEMA_BUILT.add(database_url)
            await connection.run_sync(SQLModel.metadata.drop_all)
            await connection.run_sync(SQLModel.metadata.create_all)
    async with session_scope(make_sessionmaker(engine)) as session:
        await sync_categories(session)
    yield engine
    await engine.dispose()


_SCHEMA_BUILT: set[str] = set()
"""Databases this process built the schema in: the first test drops and creates it (the
models may have changed since the last run); later ones only empty the tables."""


async def _empty_postgresql(connection: AsyncConnection) -> None:
    """The worker's tables emptied in one statement (a test that dropped one gets it back):
    dropping and creating the schema per test cost PostgreSQL most of a second."""
    await connection.run_sync(SQLModel.metadata.create_all)  # only the missing tables
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    # DELETE beats TRUNCATE on tables this small; after a school of many thousand people (the
    # big-school and bulk-import tests) DELETE took twenty seconds and TRUNCATE takes one
    if await raw.fetchval(f"SELECT count(*) FROM (SELECT 1 FROM person LIMIT {_BIG + 1}) s") > _BIG:
        names = ", ".join(f'"{table.name}"' for table in tables)
        await raw.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        return
    await raw.execute(  # one round trip
        "".join(f'DELETE FROM "{table.name}";' for table in tables)
        + "SELECT setval(s.oid, 1, false) FROM pg_class s WHERE s.relkind = 'S';"
    )


_BIG = 5000
"""People in the database above which the next test's PostgreSQL clean-up truncates."""


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture
async def session(engine: AsyncEngine, database_url: str) -> AsyncIterator[AsyncSession]:
    """A session for arranging and inspecting data; commit before the code under test reads
    what it wrote. Its transactions never take SQLite's write lock up front, so a test may keep
    it open while the service works."""
    inspector = make_engine(database_url, data_key=DATA_KEY, sqlite_immediate=False)
    async with make_sessionmaker(inspector)() as session:
        yield session
    await inspector.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, data_key=DATA_KEY, simulator=True)  # type: ignore[arg-type]


@pytest.fixture
async def app(settings: Settings, clock: FakeClock, engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        yield client


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker gets its own PostgreSQL database (test_gw0, test_gw1 …),
    created empty here, so that workers never drop each other's tables."""
    global PG_URL
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not (PG_URL and worker):
        return
    url = make_url(PG_URL)
    name = f"{url.database}_{worker}"
    asyncio.run(_recreate_database(PG_URL, name))
    PG_URL = url.set(database=name).render_as_string(hide_password=False)
    os.environ["CAREBOT_TEST_DATABASE_URL"] = PG_URL


async def _recreate_database(url: str, name: str) -> None:
    engine = make_engine(url, data_key=DATA_KEY)
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await autocommit.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()


DATABASE_FIXTURES = frozenset({"engine", "database_url", "fresh_url"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With CAREBOT_TEST_DATABASE_ONLY set (CI's PostgreSQL leg, after the whole suite ran on
    SQLite), keep only the tests that use the configured database; the others (pure rules,
    CLI runs on their own SQLite file) would repeat the SQLite leg exactly."""
    if not (PG_URL and os.environ.get("CAREBOT_TEST_DATABASE_ONLY")):
        return
    kept, dropped = [], []
    for item in items:
        names = getattr(item, "fixturenames", ())
        (kept if DATABASE_FIXTURES & set(names) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
