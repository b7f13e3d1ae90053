"""outbox: a partial index on each recipient's unfinished rows (the in-order claim) and one
on each person's rows by creation time (the rate limit's count)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNFINISHED = sa.text("status IN ('queued', 'retrying', 'sending')")


def upgrade() -> None:
    op.create_index(
        "ix_outbox_in_line",
        "outbox",
        ["channel", "recipient", "id"],
        postgresql_where=UNFINISHED,
        sqlite_where=UNFINISHED,
    )
    op.create_index("ix_outbox_person_recent", "outbox", ["channel", "person_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_person_recent", table_name="outbox")
    op.drop_index("ix_outbox_in_line", table_name="outbox")
