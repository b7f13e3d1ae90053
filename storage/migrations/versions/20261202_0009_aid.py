"""aid: aid postings, applications, help requests and concern reports

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _person(name: str, *, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Integer(), nullable=nullable)


def upgrade() -> None:
    _postings()
    _applications()
    _help_requests()
    _concern_reports()


def _postings() -> None:
    op.create_table(
        "aid_posting",
        sa.Column("id", sa.Integer(), nullable=False),
        _person("publisher_id"),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("eligibility", sa.String(length=500), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("how_to_apply", sa.String(length=500), nullable=False),
        sa.Column("scope_college", sa.String(length=64), nullable=True),
        _person("scope_teacher_id"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["publisher_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["scope_teacher_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("aid_posting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_aid_posting_deadline"), ["deadline"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_aid_posting_publisher_id"), ["publisher_id"], unique=False
        )


def _applications() -> None:
    op.create_table(
        "aid_application",
        sa.Column("id", sa.Integer(), nullable=False),
        _person("student_id", nullable=False),
        _person("teacher_id"),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("need", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _person("decided_by"),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["teacher_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["decided_by"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("aid_application", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_aid_application_student_id"), ["student_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_aid_application_teacher_id"), ["teacher_id"], unique=False
        )


def _help_requests() -> None:
    op.create_table(
        "help_request",
        sa.Column("id", sa.Integer(), nullable=False),
        _person("student_id", nullable=False),
        _person("teacher_id"),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["teacher_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("help_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_help_request_student_id"), ["student_id"], unique=False
        )


def _concern_reports() -> None:
    op.create_table(
        "concern_report",
        sa.Column("id", sa.Integer(), nullable=False),
        _person("student_id", nullable=False),
        _person("reporter_id"),
        _person("teacher_id"),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reporter_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["teacher_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("concern_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_concern_report_student_id"), ["student_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("concern_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_concern_report_student_id"))
    op.drop_table("concern_report")
    with op.batch_alter_table("help_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_help_request_student_id"))
    op.drop_table("help_request")
    with op.batch_alter_table("aid_application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_aid_application_teacher_id"))
        batch_op.drop_index(batch_op.f("ix_aid_application_student_id"))
    op.drop_table("aid_application")
    with op.batch_alter_table("aid_posting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_aid_posting_publisher_id"))
        batch_op.drop_index(batch_op.f("ix_aid_posting_deadline"))
    op.drop_table("aid_posting")
