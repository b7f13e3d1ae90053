"""pending inbound messages: accepted, answered 200, not yet handled

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_inbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "dedupe_key"),
    )
    with op.batch_alter_table("pending_inbound", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_inbound_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pending_inbound", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_inbound_received_at"))
    op.drop_table("pending_inbound")
