"""outbox: an index for each recipient's recent sends (the per-member cap)

Without it the sender's check of WeCom's per-member limit read every row of the channel,
so the cost of each send grew with the outbox.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 05:55:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_recent", "outbox", ["channel", "recipient", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_recent", table_name="outbox")
