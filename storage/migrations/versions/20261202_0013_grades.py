"""grades: special students' course results and their academic warnings

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "grade",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("semester", sa.String(length=32), nullable=False),
        sa.Column("course_code", sa.String(length=32), nullable=False),
        sa.Column("course_name", sa.String(length=64), nullable=False),
        sa.Column("nature", sa.String(length=8), nullable=False),
        sa.Column("credits", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("letter", sa.String(length=8), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("retake", sa.Boolean(), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("teacher", sa.String(length=64), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("grade", schema=None) as batch_op:
        batch_op.create_index("ix_grade_student_semester", ["student_id", "semester"], unique=False)
    op.create_table(
        "academic_warning",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("semester", sa.String(length=32), nullable=False),
        sa.Column("semester_start", sa.Date(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=True),
        sa.Column("notified_level", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("student_id", "semester"),
    )


def downgrade() -> None:
    op.drop_table("academic_warning")
    with op.batch_alter_table("grade", schema=None) as batch_op:
        batch_op.drop_index("ix_grade_student_semester")
    op.drop_table("grade")
