"""``datasync db upgrade``: run the store's schema migrations."""

from __future__ import annotations

import argparse
from typing import Any

from datasync.store import default_store_url, make_engine, normalize_url, upgrade


def register(subparsers: Any) -> None:
    """Add the ``db`` subcommand group."""
    parser = subparsers.add_parser(
        "db", help="manage the store's database", description="Manage the store's database."
    )
    actions = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = actions.add_parser(
        "upgrade",
        help="migrate the schema to the latest revision",
        description="Run the Alembic migrations on the database (idempotent).",
    )
    up.add_argument(
        "--db",
        default=None,
        help="a SQLite path or postgresql:// URL (default: $DATASYNC_STORE or the embedded store)",
    )
    up.set_defaults(func=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    import sqlalchemy as sa

    url = normalize_url(args.db) if args.db else default_store_url()
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    print(
        f"datasync: {sa.make_url(url).render_as_string(hide_password=True)} is at the latest schema"
    )
    return 0
