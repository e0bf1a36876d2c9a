"""Tags: history of tag changes on datasets, versions and experiments; GIN on tag maps.

``tag_changes`` records every change of an object's tags (one row per call that changed
something): its kind (``dataset``, ``version``, ``experiment``), id, the dataset it belongs
to (for ``datasync log NAME``), the time and the changes as ``[["+", key, value] |
["-", key, null], ...]``. On PostgreSQL the ``tags`` maps of datasets and versions get a GIN
index (``jsonb_ops``: containment ``@>`` and key existence ``?``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tag_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("object_id", sa.Integer, nullable=False),
        sa.Column(
            "dataset_id",
            sa.Integer,
            sa.ForeignKey("datasets.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("changed_at", TIMESTAMP, nullable=False),
        sa.Column("changes", JSON_DOC, nullable=False),
    )
    op.create_index("ix_tag_changes_object", "tag_changes", ["kind", "object_id", "id"])
    op.create_index("ix_tag_changes_dataset", "tag_changes", ["dataset_id", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_datasets_tags_gin", "datasets", ["tags"], postgresql_using="gin")
        op.create_index("ix_versions_tags_gin", "versions", ["tags"], postgresql_using="gin")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_versions_tags_gin", "versions")
        op.drop_index("ix_datasets_tags_gin", "datasets")
    op.drop_table("tag_changes")
