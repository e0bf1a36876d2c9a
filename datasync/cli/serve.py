"""``datasync serve``: the HTTP API over a store, under uvicorn."""

from __future__ import annotations

import argparse
import os
from typing import Any

from datasync._extras import require
from datasync.store import default_store_url, normalize_url, open_store

MiB = 1024 * 1024


def register(subparsers: Any) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "serve",
        help="serve a store over HTTP (sync protocol v1)",
        description="Serve the datasync HTTP API (under /v1, OpenAPI at /openapi.json) over a"
        " SQLite file or a PostgreSQL database. The schema is migrated on start.",
    )
    parser.add_argument(
        "--db",
        default=None,
        help="store: a SQLite path or postgresql:// URL (default: $DATASYNC_STORE or the"
        " embedded store file)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    parser.add_argument(
        "--api-key",
        default=None,
        help="require 'Authorization: Bearer KEY' (default: $DATASYNC_API_KEY; unset: open)",
    )
    parser.add_argument(
        "--max-body-mb", type=int, default=2048, help="largest commit body in MiB (default 2048)"
    )
    parser.add_argument(
        "--max-example-mb", type=int, default=16, help="largest NDJSON line in MiB (default 16)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: FastAPI and uvicorn cost every other command ~0.4 s of start-up.
    uvicorn = require("uvicorn", "datasync serve")
    from datasync.server import Limits, create_app

    url = normalize_url(args.db) if args.db else default_store_url()
    api_key = args.api_key or os.environ.get("DATASYNC_API_KEY") or None
    limits = Limits(
        max_body_bytes=args.max_body_mb * MiB, max_example_bytes=args.max_example_mb * MiB
    )
    store = open_store(url)  # migrate (and fail on a bad URL) before binding the port
    try:
        app = create_app(store, api_key=api_key, limits=limits)
        auth = "API key required" if api_key else "no API key (open)"
        print(f"datasync: serving {_safe(url)} on http://{args.host}:{args.port} ({auth})")
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    finally:
        store.close()
    return 0


def _safe(url: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(url).render_as_string(hide_password=True)
