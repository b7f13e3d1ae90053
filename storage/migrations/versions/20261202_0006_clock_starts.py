"""clock starts: when a seat was taken, a category given and key attention set

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("assignment", "assigned_at", "student_id"),
    ("student_category", "since", "student_id"),
    ("person", "key_attention_since", "id"),
)


def upgrade() -> None:
    for table, column, _ in _COLUMNS:
        op.add_column(table, sa.Column(column, sa.DateTime(), nullable=True))
    # The best date known for existing rows is when the student was added: no clock that
    # ran before the upgrade starts again, and none starts earlier than the student's record.
    for table, column, student in _COLUMNS:
        only_flagged = " WHERE key_attention" if table == "person" else ""
        op.execute(
            f"UPDATE {table} SET {column} = (SELECT p.created_at FROM person AS p"
            f" WHERE p.id = {table}.{student}){only_flagged}"
        )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of `person` would drop the old table,
    # and with foreign keys on, that cascades to every seat and category.
    for table, column, _ in _COLUMNS:
        op.drop_column(table, column)
