"""Alembic environment: runs migrations on the async engine from CAREBOT_* settings."""

from __future__ import annotations

import asyncio
import os
from typing import Any, Literal

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.crypto import new_key
from storage.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render our TypeDecorators as their plain storage types in migration scripts."""
    if type_ == "type" and obj.__class__.__module__.startswith("storage."):
        autogen_context.imports.add("import sqlalchemy as sa")
        return f"sa.{obj.impl.__class__.__name__}()"
    if type_ == "type" and obj.__class__.__module__.startswith("sqlmodel."):
        autogen_context.imports.add("import sqlmodel")
        return f"sa.String(length={obj.length})" if getattr(obj, "length", None) else "sa.String()"
    return False


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    # Run by the alembic CLI itself (`make revision`): the URL the Makefile exports. Storage
    # never imports bot, so the settings class is not consulted here.
    url = url or os.environ.get("CAREBOT_DATABASE_URL")
    if not url:
        raise SystemExit("CAREBOT_DATABASE_URL is not set (make revision sets it)")
    return str(url)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=_render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    # Migrations never read encrypted values, so a throwaway key satisfies the engine.
    engine = make_engine(_url(), data_key=new_key())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_async())
