"""careers: job postings and applications; surveys, their recipients and answers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _person(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Integer(), nullable=nullable)


def upgrade() -> None:
    _postings()
    _surveys()


def _postings() -> None:
    op.create_table(
        "job_posting",
        sa.Column("id", sa.Integer(), nullable=False),
        _person("publisher_id", nullable=True),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("employer", sa.String(length=128), nullable=False),
        sa.Column("place", sa.String(length=64), nullable=False),
        sa.Column("salary", sa.String(length=64), nullable=True),
        sa.Column("majors", sa.String(length=500), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("how_to_apply", sa.String(length=500), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("pushed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["publisher_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("job_posting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_posting_deadline"), ["deadline"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_job_posting_publisher_id"), ["publisher_id"], unique=False
        )
    op.create_table(
        "job_application",
        sa.Column("posting_id", sa.Integer(), nullable=False),
        _person("student_id"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["posting_id"], ["job_posting.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["student_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("posting_id", "student_id"),
    )
    with op.batch_alter_table("job_application", schema=None) as batch_op:
        batch_op.create_index(
            "ix_job_application_student", ["student_id", "posting_id"], unique=False
        )


def _surveys() -> None:
    op.create_table(
        "survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        _person("sender_id", nullable=True),
        sa.Column("audience", sa.Text(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["sender_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_sender_id"), ["sender_id"], unique=False)
    op.create_table(
        "survey_recipient",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        _person("person_id"),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("survey_id", "person_id"),
    )
    with op.batch_alter_table("survey_recipient", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_recipient_person", ["person_id", "survey_id"], unique=False
        )
    op.create_table(
        "survey_answer",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        _person("person_id"),
        sa.Column("question", sa.String(length=32), nullable=False),
        sa.Column("choice", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("survey_id", "person_id", "question"),
    )


def downgrade() -> None:
    op.drop_table("survey_answer")
    with op.batch_alter_table("survey_recipient", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_recipient_person")
    op.drop_table("survey_recipient")
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_sender_id"))
    op.drop_table("survey")
    with op.batch_alter_table("job_application", schema=None) as batch_op:
        batch_op.drop_index("ix_job_application_student")
    op.drop_table("job_application")
    with op.batch_alter_table("job_posting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_posting_publisher_id"))
        batch_op.drop_index(batch_op.f("ix_job_posting_deadline"))
    op.drop_table("job_posting")
