"""The tables (SQLAlchemy Core). Migrations in ``migrations/versions`` create exactly these.

Version ids grow within a dataset (commits to one dataset are serialized), so "the manifest
of version V" is, per example, its latest revision with ``version_id <= V`` unless a DELETE.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

__all__ = [
    "commits",
    "datasets",
    "examples",
    "experiment_evaluations",
    "experiment_runs",
    "experiments",
    "metadata",
    "revisions",
    "tag_changes",
    "versions",
]

#: JSON text on SQLite, JSONB on PostgreSQL (GIN-indexed for metadata containment).
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
#: Source ids sort by code point (= UTF-8 bytes) on both backends, whatever the locale.
SOURCE_ID = sa.String(1024).with_variant(sa.String(1024, collation="C"), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
#: Row ids and references to them: 64-bit on PostgreSQL (migration 0005), INTEGER on SQLite,
#: which is 64-bit already and must stay INTEGER for an id to be the table's rowid.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

metadata = sa.MetaData()

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("tags", JSON_DOC, nullable=False),
    sa.Column("created_at", TIMESTAMP, nullable=False),
    sa.Column("head_version_id", ID, nullable=True),
)

versions = sa.Table(
    "versions",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("dataset_id", ID, sa.ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", ID, nullable=False),  # the version id on the wire (per dataset)
    sa.Column("parent_id", ID, nullable=True),
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

examples = sa.Table(
    "examples",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("dataset_id", ID, sa.ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("source_id", SOURCE_ID, nullable=False),
    sa.Column("bucket", sa.Integer, nullable=False),
    sa.UniqueConstraint("dataset_id", "source_id", name="uq_examples_dataset_source_id"),
    sa.Index("ix_examples_dataset_bucket", "dataset_id", "bucket"),
)

revisions = sa.Table(
    "revisions",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("example_id", ID, sa.ForeignKey("examples.id", ondelete="CASCADE"), nullable=False),
    sa.Column("version_id", ID, sa.ForeignKey("versions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("hash", sa.String(64), nullable=True),
    sa.Column("input", JSON_DOC, nullable=True),
    sa.Column("output", JSON_DOC, nullable=True),
    sa.Column("metadata", JSON_DOC, nullable=True),
    sa.UniqueConstraint("example_id", "version_id", name="uq_revisions_example_version"),
    sa.Index("ix_revisions_version", "version_id"),
)

commits = sa.Table(
    "commits",
    metadata,
    sa.Column("dataset_id", ID, sa.ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("idempotency_key", sa.String(200), primary_key=True),
    sa.Column("result", JSON_DOC, nullable=False),
    sa.Column("created_at", TIMESTAMP, nullable=False),
)

#: One row per tag change of a dataset, version or experiment (see migration 0002).
tag_changes = sa.Table(
    "tag_changes",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("object_id", ID, nullable=False),
    sa.Column("dataset_id", ID, sa.ForeignKey("datasets.id", ondelete="CASCADE"), nullable=True),
    sa.Column("changed_at", TIMESTAMP, nullable=False),
    sa.Column("changes", JSON_DOC, nullable=False),
    sa.Index("ix_tag_changes_object", "kind", "object_id", "id"),
    sa.Index("ix_tag_changes_dataset", "dataset_id", "id"),
)

#: Experiments (migration 0003): a task run over one pinned version; runs; evaluations.
experiments = sa.Table(
    "experiments",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("dataset_id", ID, sa.ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("version_id", ID, sa.ForeignKey("versions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("task_fingerprint", sa.String(256), nullable=False),
    sa.Column("evaluators", JSON_DOC, nullable=False),
    sa.Column("tags", JSON_DOC, nullable=False),
    sa.Column("metadata", JSON_DOC, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", TIMESTAMP, nullable=False),
    sa.Column("ended_at", TIMESTAMP, nullable=True),
    sa.Column("reused_from_id", ID, nullable=True),
    sa.Index("ix_experiments_dataset_name", "dataset_id", "name", "id"),
)

experiment_runs = sa.Table(
    "experiment_runs",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column(
        "experiment_id",
        ID,
        sa.ForeignKey("experiments.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("source_id", SOURCE_ID, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("seen_hash", sa.String(64), nullable=False),
    sa.Column("output", JSON_DOC, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("latency_seconds", sa.Float, nullable=True),
    sa.Column("started_at", TIMESTAMP, nullable=True),
    sa.Column("ended_at", TIMESTAMP, nullable=True),
    sa.Column("reused_from", ID, nullable=True),
    sa.UniqueConstraint("experiment_id", "source_id", name="uq_experiment_runs_source_id"),
)

experiment_evaluations = sa.Table(
    "experiment_evaluations",
    metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column(
        "experiment_id",
        ID,
        sa.ForeignKey("experiments.id", ondelete="CASCADE"),
        nullable=False,
    ),
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

# PostgreSQL only: GIN indexes for JSONB containment (tags filters, metadata filters). The
# migrations create them on PostgreSQL alone; declared here so schema drift is checked there.
for _table, _column in (
    (datasets, "tags"),
    (versions, "tags"),
    (experiments, "tags"),
    (revisions, "metadata"),
):
    sa.Index(f"ix_{_table.name}_{_column}_gin", _table.c[_column], postgresql_using="gin").ddl_if(
        dialect="postgresql"
    )
