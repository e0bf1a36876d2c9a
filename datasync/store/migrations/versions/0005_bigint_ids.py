"""64-bit ids on PostgreSQL: every id column and every reference to one becomes BIGINT,
and so does ``versions.number`` (the version id clients see, per dataset).

``SERIAL`` ids are 32-bit, so a PostgreSQL store could write about 2.1 billion example
revisions in its lifetime, and an id in a URL at or past 2**31 failed the query instead of
finding nothing. The id sequences become ``AS bigint`` too (a sequence keeps its own
maximum). SQLite's INTEGER is 64-bit already: nothing changes there.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: table -> its id column (None: no own id) and the columns that hold ids of other rows.
COLUMNS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "datasets": ("id", ("head_version_id",)),
    "versions": ("id", ("dataset_id", "parent_id", "number")),
    "examples": ("id", ("dataset_id",)),
    "revisions": ("id", ("example_id", "version_id")),
    "commits": (None, ("dataset_id",)),
    "tag_changes": ("id", ("object_id", "dataset_id")),
    "experiments": ("id", ("dataset_id", "version_id", "reused_from_id")),
    "experiment_runs": ("id", ("experiment_id", "reused_from")),
    "experiment_evaluations": ("id", ("experiment_id",)),
}


def _change(to: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table, (own, references) in COLUMNS.items():
        columns = ([own] if own else []) + list(references)
        changes = ", ".join(f'ALTER COLUMN "{c}" TYPE {to}' for c in columns)
        op.execute(f'ALTER TABLE "{table}" {changes}')
        if own is not None:
            sequence = bind.execute(
                sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table, "column": own},
            ).scalar()
            if sequence is not None:
                op.execute(f"ALTER SEQUENCE {sequence} AS {to}")


def upgrade() -> None:
    _change("BIGINT")


def downgrade() -> None:
    _change("INTEGER")
