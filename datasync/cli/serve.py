"""``datasync serve``: the HTTP API over a store, under uvicorn (one or several processes)."""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from datasync._extras import require
from datasync.errors import UsageError

MiB = 1024 * 1024


def register(subparsers: Any) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "serve",
        help="serve a store over HTTP (sync protocol v1)",
        description="Serve the datasync HTTP API (under /v1, OpenAPI at /openapi.json) over a"
        " SQLite file or a PostgreSQL database. The schema is migrated on start. Every flag"
        " has an environment variable; flags win. One log line per request on stderr"
        " (-q: none).",
    )
    parser.add_argument(
        "--db",
        default=None,
        help="store: a SQLite path or postgresql:// URL (default: $DATASYNC_DB, else"
        " $DATASYNC_STORE, else the embedded store file)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    parser.add_argument(
        "--api-keys-file",
        default=None,
        metavar="FILE",
        help="accept the API keys in FILE, one a line, as 'Authorization: Bearer KEY'"
        " (default: $DATASYNC_API_KEYS_FILE; $DATASYNC_API_KEY adds one key; none: open)",
    )
    parser.add_argument(
        "--api-key",
        default=None,
        help="one accepted key on the command line (visible to `ps`: prefer the file)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("DATASYNC_WORKERS", "1")),
        help="server processes (default 1, or $DATASYNC_WORKERS); more than one needs PostgreSQL",
    )
    parser.add_argument(
        "--max-body-mb",
        type=int,
        default=None,
        help="largest commit body in MiB (default 2048, or $DATASYNC_MAX_BODY_MB)",
    )
    parser.add_argument(
        "--max-example-mb",
        type=int,
        default=None,
        help="largest NDJSON line in MiB (default 16, or $DATASYNC_MAX_EXAMPLE_MB)",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=None,
        metavar="NAME",
        help="a host name clients may use in the Host header (repeatable; '*' for any; or"
        " $DATASYNC_ALLOWED_HOSTS, comma-separated). Default: localhost, 127.0.0.1 and ::1"
        " when --host is a loopback address (so a web page cannot reach the server by DNS"
        " rebinding), any name otherwise",
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=None,
        metavar="ORIGIN",
        help="a web origin (https://app.example) allowed to call the server from a browser"
        " (repeatable, or $DATASYNC_CORS_ORIGINS, comma-separated; default: none, no CORS"
        " headers, other origins refused)",
    )
    parser.set_defaults(func=run, log_base=logging.INFO)


def run(args: argparse.Namespace) -> int:
    from datasync.server.config import MAX_BODY_ENV, MAX_EXAMPLE_ENV, ServerConfig
    from datasync.store import normalize_url

    env = dict(os.environ)
    for value, name in ((args.max_body_mb, MAX_BODY_ENV), (args.max_example_mb, MAX_EXAMPLE_ENV)):
        if value is not None:
            env[name] = str(value)
    config = ServerConfig.from_env(env)
    config = ServerConfig(
        db=normalize_url(args.db) if args.db else config.db,
        keys_file=args.api_keys_file or config.keys_file,
        api_key=args.api_key or config.api_key,
        limits=config.limits,
        allowed_hosts=tuple(args.allow_host or ())
        or config.allowed_hosts
        or _default_hosts(args.host),
        cors_origins=tuple(args.cors_origin or ()) or config.cors_origins,
    )
    if args.workers < 1:
        raise UsageError(f"--workers must be 1 or more, not {args.workers}", code="bad_option")
    if args.workers > 1 and not config.db.startswith("postgresql"):
        raise UsageError(
            f"--workers {args.workers} needs a PostgreSQL store: SQLite takes one writer"
            " process at a time. Serve SQLite with one worker, or pass --db postgresql://...",
            code="workers_need_postgres",
        )
    keys = config.api_keys()  # a bad keys file fails before the port is bound
    uvicorn = require("uvicorn", "datasync serve")
    from datasync.server import create_app
    from datasync.store import open_store

    store = open_store(config.db)  # migrate (and fail on a bad URL) before binding the port
    auth = f"{len(keys)} API key(s)" if keys else "no API key (open)"
    where = f"http://{args.host}:{args.port}"
    print(f"datasync: serving {_safe(config.db)} on {where} ({auth}, {args.workers} worker(s))")
    try:
        if args.workers == 1:
            app = create_app(
                store,
                api_keys=keys,
                limits=config.limits,
                allowed_hosts=config.allowed_hosts or (),
                cors_origins=config.cors_origins,
            )
            uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
            return 0
    finally:
        store.close()
    from datasync._logging import LEVEL_ENV

    # Worker processes are started afresh and build the app from the environment.
    os.environ.update(config.to_env())
    os.environ[LEVEL_ENV] = logging.getLevelName(logging.getLogger("datasync").getEffectiveLevel())
    uvicorn.run(
        "datasync.server.asgi:app_from_env",
        factory=True,
        workers=args.workers,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
    )
    return 0


def _default_hosts(bound: str) -> tuple[str, ...]:
    import ipaddress

    from datasync.server.guard import LOCAL_HOSTS

    try:
        loopback = ipaddress.ip_address(bound.strip("[]")).is_loopback
    except ValueError:
        loopback = bound == "localhost"
    return LOCAL_HOSTS if loopback else ("*",)


def _safe(url: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(url).render_as_string(hide_password=True)
