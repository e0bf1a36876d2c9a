"""Experiments: experiments, experiment_runs, experiment_evaluations.

An experiment runs a task over one pinned dataset version (``version_id``); each run is one
example's output or error with the hashes the reuse rule needs; each evaluation one
evaluator's score on a run. On PostgreSQL ``experiments.tags`` gets a GIN index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
SOURCE_ID = sa.String(1024).with_variant(sa.String(1024, collation="C"), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def _experiment_fk() -> sa.Column[int]:
    return sa.Column(
        "experiment_id",
        sa.Integer,
        sa.ForeignKey("experiments.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "dataset_id",
            sa.Integer,
            sa.ForeignKey("datasets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "version_id",
            sa.Integer,
            sa.ForeignKey("versions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("task_fingerprint", sa.String(256), nullable=False),
        sa.Column("evaluators", JSON_DOC, nullable=False),
        sa.Column("tags", JSON_DOC, nullable=False),
        sa.Column("metadata", JSON_DOC, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("ended_at", TIMESTAMP, nullable=True),
        sa.Column("reused_from_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_experiments_dataset_name", "experiments", ["dataset_id", "name", "id"])
    op.create_table(
        "experiment_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _experiment_fk(),
        sa.Column("source_id", SOURCE_ID, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("seen_hash", sa.String(64), nullable=False),
        sa.Column("output", JSON_DOC, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("latency_seconds", sa.Float, nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=True),
        sa.Column("ended_at", TIMESTAMP, nullable=True),
        sa.Column("reused_from", sa.Integer, nullable=True),
        sa.UniqueConstraint("experiment_id", "source_id", name="uq_experiment_runs_source_id"),
    )
    op.create_table(
        "experiment_evaluations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _experiment_fk(),
        sa.Column("source_id", SOURCE_ID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("label", sa.Text, nullable=True),
        sa.Column("explanation", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("seen_hash", sa.String(64), nullable=False),
        sa.Column("reused", sa.Boolean, nullable=False),
        sa.UniqueConstraint(
            "experiment_id", "source_id", "name", name="uq_experiment_evaluations_name"
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_experiments_tags_gin", "experiments", ["tags"], postgresql_using="gin")


def downgrade() -> None:
    for table in ("experiment_evaluations", "experiment_runs", "experiments"):
        op.drop_table(table)
