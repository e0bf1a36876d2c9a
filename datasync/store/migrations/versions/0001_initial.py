"""Initial schema: datasets, versions, examples, revisions, commits (idempotency).

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
SOURCE_ID = sa.String(1024).with_variant(sa.String(1024, collation="C"), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("tags", JSON_DOC, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("head_version_id", sa.Integer, nullable=True),
    )
    op.create_table(
        "versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "dataset_id",
            sa.Integer,
            sa.ForeignKey("datasets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("parent_id", sa.Integer, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("created", sa.Integer, nullable=False),
        sa.Column("patched", sa.Integer, nullable=False),
        sa.Column("deleted", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("root_digest", sa.String(32), nullable=False),
        sa.Column("leaf_table", sa.LargeBinary, nullable=False),
        sa.Column("tags", JSON_DOC, nullable=False),
        sa.UniqueConstraint("dataset_id", "number", name="uq_versions_dataset_number"),
    )
    op.create_table(
        "examples",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "dataset_id",
            sa.Integer,
            sa.ForeignKey("datasets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("source_id", SOURCE_ID, nullable=False),
        sa.Column("bucket", sa.Integer, nullable=False),
        sa.UniqueConstraint("dataset_id", "source_id", name="uq_examples_dataset_source_id"),
    )
    op.create_index("ix_examples_dataset_bucket", "examples", ["dataset_id", "bucket"])
    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "example_id",
            sa.Integer,
            sa.ForeignKey("examples.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "version_id",
            sa.Integer,
            sa.ForeignKey("versions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("hash", sa.String(64), nullable=True),
        sa.Column("input", JSON_DOC, nullable=True),
        sa.Column("output", JSON_DOC, nullable=True),
        sa.Column("metadata", JSON_DOC, nullable=True),
        sa.UniqueConstraint("example_id", "version_id", name="uq_revisions_example_version"),
    )
    op.create_index("ix_revisions_version", "revisions", ["version_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_revisions_metadata_gin", "revisions", ["metadata"], postgresql_using="gin"
        )
    op.create_table(
        "commits",
        sa.Column(
            "dataset_id",
            sa.Integer,
            sa.ForeignKey("datasets.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("idempotency_key", sa.String(200), primary_key=True),
        sa.Column("result", JSON_DOC, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )


def downgrade() -> None:
    for table in ("commits", "revisions", "examples", "versions", "datasets"):
        op.drop_table(table)
