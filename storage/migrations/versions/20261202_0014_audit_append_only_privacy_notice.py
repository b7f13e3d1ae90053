"""audit append only privacy notice: audit_log refuses UPDATE and DELETE (a trigger, on both
databases; docs/audit.md), and person.privacy_notice_at records when a person first saw the
privacy notice

The triggers let one update through: the foreign keys' ON DELETE SET NULL, which clears
actor_id or subject_id when a person is deleted and changes nothing else. The grants for the
service's own role (CAREBOT_DB_APP_ROLE) are not here: `carebot db upgrade` applies them after
every upgrade (storage/app_role.py), so that tables of later migrations get them too.

SQLite drops a table's triggers when a batch migration recreates it: a later migration that
alters audit_log must create them again (`create_sqlite_triggers`).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(NEW) - 'actor_id' - 'subject_id') = (to_jsonb(OLD) - 'actor_id' - 'subject_id')
       AND (NEW.actor_id IS NULL OR NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id)
       AND (NEW.subject_id IS NULL OR NEW.subject_id IS NOT DISTINCT FROM OLD.subject_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only (%)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""
PG_TRIGGERS = (
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
)
# Every column but the two foreign keys must stay as it was (SQLite has no row-to-JSON).
SQLITE_UNCHANGED = " AND ".join(
    f"NEW.{name} IS OLD.{name}" for name in ("id", "at", "channel", "account", "action", "detail")
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log WHEN NOT ("
    f"{SQLITE_UNCHANGED}"
    " AND (NEW.actor_id IS NULL OR NEW.actor_id IS OLD.actor_id)"
    " AND (NEW.subject_id IS NULL OR NEW.subject_id IS OLD.subject_id))"
    " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
    " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)


def create_sqlite_triggers() -> None:
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("privacy_notice_at", sa.DateTime(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
    else:
        create_sqlite_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("privacy_notice_at")
