"""case files: the four plan areas, closing, per-category problems, closure proposals

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLAN_AREAS = ("plan_academic", "plan_psych", "plan_financial", "plan_employment")


def upgrade() -> None:
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        for name in PLAN_AREAS:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="open")
        )
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("surveyed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("updated_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_case_file_updated_by", "person", ["updated_by"], ["id"], ondelete="SET NULL"
        )
    op.create_table(
        "case_problem",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("category_code", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("verification", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["student_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["category_code"], ["category.code"]),
        sa.ForeignKeyConstraint(["updated_by"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("student_id", "category_code"),
    )
    op.create_table(
        "case_closure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("proposer_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["proposer_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["decided_by"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_closure_student", "case_closure", ["student_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_case_closure_student", table_name="case_closure")
    op.drop_table("case_closure")
    op.drop_table("case_problem")
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_constraint("fk_case_file_updated_by", type_="foreignkey")
        for name in ("updated_by", "surveyed_at", "closed_at", "status", *PLAN_AREAS):
            batch_op.drop_column(name)
