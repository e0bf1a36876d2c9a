"""Versions numbered per dataset: ``versions.number`` is 1, 2, 3, ... in commit order.

Users name versions by this number (``qa@3``, ``--version 3``, the HTTP API); the store-wide
``versions.id`` stays the key other tables refer to. Every commit since 0001 writes
``number`` as the head's number + 1; this revision re-numbers every existing version from
its commit order (``id`` order within its dataset), so a store whose numbers were written
otherwise (copied in, or restored from another tool) is in the same state as a fresh one.

Two steps because the unique ``(dataset_id, number)`` constraint is checked row by row on
SQLite: first every number is moved out of the way (``-id``), then the real numbers are set.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE versions SET number = -id"))
    op.execute(
        sa.text(
            "UPDATE versions SET number = (SELECT COUNT(*) FROM versions AS earlier"
            " WHERE earlier.dataset_id = versions.dataset_id AND earlier.id <= versions.id)"
        )
    )


def downgrade() -> None:
    """Nothing to undo: the numbers are valid under revision 0003 too."""
