"""peer mentor derived: the role follows the team seat and is no longer stored as a row

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # storage/people/roles.py derives peer_mentor from the peer seat; a stored row would keep
    # the role after the seat was cleared.
    op.execute("DELETE FROM person_role WHERE role IN ('peer_mentor', 'student')")


def downgrade() -> None:
    op.execute(
        "INSERT INTO person_role (person_id, role) SELECT DISTINCT mentor_id, 'peer_mentor' "
        "FROM assignment WHERE role = 'peer_mentor'"
    )
