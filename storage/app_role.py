"""The PostgreSQL role the service runs as (CAREBOT_DB_APP_ROLE): reads and writes every table,
but may only add to the audit log. See docs/audit.md."""

from __future__ import annotations

import re
from enum import StrEnum

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
APPEND_ONLY = ("audit_log",)
"""Tables the role may read and add to, never change: no UPDATE, DELETE or TRUNCATE."""
READ_ONLY = ("alembic_version",)
"""Tables the role may only read: migrations run as the owner, never as the service."""


class Granted(StrEnum):
    """What `grant_app_role` did."""

    GRANTED = "granted"
    CREATED = "created"
    """The role did not exist: it was created NOLOGIN (give it LOGIN and a password)."""
    NOT_OWNER = "not_owner"
    """The connection's user does not own the tables: nothing was changed."""


def valid_role_name(name: str) -> bool:
    """A plain lower-case identifier: it is written into GRANT statements, quoted."""
    return bool(ROLE_NAME.match(name))


async def grant_app_role(connection: AsyncConnection, role: str) -> Granted:
    """Give `role` what the service needs, run as the tables' owner after every migration.

    - the role is created (NOLOGIN) when missing;
    - USAGE on the schema, SELECT, INSERT, UPDATE, DELETE on all its tables and USAGE,
      SELECT on its sequences (tables added by later migrations get them at the next run);
    - then REVOKE UPDATE, DELETE, TRUNCATE on audit_log (append-only) and INSERT, UPDATE,
      DELETE, TRUNCATE on alembic_version (read-only).

    Deleting a person still clears their audit rows' actor_id/subject_id: PostgreSQL runs
    ON DELETE SET NULL as the referencing table's owner, not as the role. The caller commits."""
    if not valid_role_name(role):
        raise ValueError("not a plain lower-case role name")
    if not await _owns_tables(connection):
        return Granted.NOT_OWNER
    exists = await connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
    if not exists:
        await connection.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
    schema = await connection.scalar(text("SELECT current_schema()"))
    for statement in (
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"',
        *(f'REVOKE UPDATE, DELETE, TRUNCATE ON "{t}" FROM "{role}"' for t in APPEND_ONLY),
        *(f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "{t}" FROM "{role}"' for t in READ_ONLY),
    ):
        await connection.execute(text(statement))
    return Granted.GRANTED if exists else Granted.CREATED


async def _owns_tables(connection: AsyncConnection) -> bool:
    """Whether the current user owns audit_log (or is a superuser, who may grant anything)."""
    query = text(
        "SELECT t.tableowner = current_user OR r.rolsuper FROM pg_tables t, pg_roles r "
        "WHERE t.tablename = 'audit_log' AND t.schemaname = current_schema() "
        "AND r.rolname = current_user"
    )
    return bool(await connection.scalar(query))
