"""On PostgreSQL, `carebot db upgrade` as the owner with CAREBOT_DB_APP_ROLE: the service's
role may add audit entries but never change or delete them (and still delete a person)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from storage.db import make_engine
from tests.bot.cli.in_process import carebot
from tests.conftest import DATA_KEY

ROLE = "carebot_test_app"


async def _recreate(url: str, name: str) -> None:
    engine = make_engine(url, data_key=DATA_KEY)
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await autocommit.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()


async def _as_app_role(url: str, statements: list[str]) -> list[str]:
    """Each statement in its own transaction under SET ROLE: "ok" or the error's first line."""
    outcomes = []
    engine = make_engine(url, data_key=DATA_KEY)
    for statement in statements:
        try:
            async with engine.begin() as connection:
                await connection.execute(text(f'SET LOCAL ROLE "{ROLE}"'))
                await connection.execute(text(statement))
            outcomes.append("ok")
        except DBAPIError as exc:
            outcomes.append(str(exc.orig).splitlines()[0])
    await engine.dispose()
    return outcomes


def test_the_app_role_may_insert_audit_rows_but_not_change_them(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("database roles and grants are PostgreSQL's")
    url = make_url(database_url)
    scratch = url.set(database=f"{url.database}_app_role").render_as_string(hide_password=False)
    asyncio.run(_recreate(url.render_as_string(hide_password=False), f"{url.database}_app_role"))
    env = {"CAREBOT_DATA_KEY": DATA_KEY, "CAREBOT_DATABASE_URL": scratch}

    upgraded = carebot("db", "upgrade", env=env | {"CAREBOT_DB_APP_ROLE": ROLE})
    outcomes = asyncio.run(
        _as_app_role(
            scratch,
            [
                "INSERT INTO person (kind, code, name, key_attention, created_at, updated_at)"
                " VALUES ('staff', 'T1', 'x', false, now(), now())",
                "INSERT INTO audit_log (at, action, actor_id)"
                " SELECT now(), 'export_ledger', id FROM person WHERE code = 'T1'",
                "SELECT count(*) FROM audit_log",
                "UPDATE audit_log SET detail = 'changed'",
                "DELETE FROM audit_log",
                "TRUNCATE audit_log",
                "UPDATE alembic_version SET version_num = '0001'",
                "DELETE FROM person WHERE code = 'T1'",  # ON DELETE SET NULL still runs
            ],
        )
    )
    owner = asyncio.run(_owner_update(scratch))

    assert upgraded.returncode == 0, upgraded.stderr
    assert ROLE in upgraded.stdout and "只能追加" in upgraded.stdout
    assert outcomes[:3] == ["ok", "ok", "ok"]
    assert all("permission denied for table" in o for o in outcomes[3:7]), outcomes
    assert outcomes[7] == "ok"
    assert owner == ("append-only", 1, None)


async def _owner_update(url: str) -> tuple[str, int, int | None]:
    """The owner is stopped by the trigger instead; the row is still there, actor cleared."""
    engine = make_engine(url, data_key=DATA_KEY)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE audit_log SET detail = 'changed'"))
        refused = "updated"
    except DBAPIError as exc:
        refused = "append-only" if "append-only" in str(exc.orig) else str(exc.orig)
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT actor_id FROM audit_log"))).all()
    await engine.dispose()
    return refused, len(rows), rows[0][0]
