"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi_offline import FastAPIOffline

from datasync._version import __version__
from datasync.server import routes, routes_experiments, routes_tags, uploads
from datasync.server.access_log import AccessLogMiddleware
from datasync.server.auth import require_api_key
from datasync.server.decoding import Decoder
from datasync.server.guard import LOCAL_HOSTS, RequestGuardMiddleware
from datasync.server.handlers import install_error_handlers
from datasync.server.limits import Limits, SizeLimitMiddleware
from datasync.server.ui import install_ui
from datasync.store import Store, open_store

__all__ = ["create_app"]


def create_app(
    store: str | Store,
    api_key: str | None = None,
    limits: Limits | None = None,
    decode_processes: int | None = None,
    *,
    api_keys: Iterable[str] = (),
    allowed_hosts: Sequence[str] = LOCAL_HOSTS,
    cors_origins: Sequence[str] = (),
) -> FastAPI:
    """The datasync HTTP API over ``store`` (a URL or path, opened and migrated at startup,
    or an open :class:`Store`, which the caller keeps and closes).

    With ``api_key`` or ``api_keys`` every route but ``GET /v1/health`` needs
    ``Authorization: Bearer KEY`` with one of them. Every request is logged (one line, see
    :mod:`datasync.server.access_log`).
    ``decode_processes``: worker processes that decode large commit bodies (default: one
    per core; ``1``: decode in the request thread).

    ``allowed_hosts``: the names clients may reach it by (``Host``), by default the loopback
    names only (``"*"``: any); ``cors_origins``: web origins allowed to call it (CORS); none
    by default. See :mod:`datasync.server.guard`.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = isinstance(store, str)
        app.state.decoder.start()  # before the store opens and any request thread exists
        app.state.store = open_store(store) if isinstance(store, str) else store
        try:
            yield
        finally:
            app.state.decoder.close()
            if owned:
                app.state.store.close()

    # /docs and /redoc with their scripts served by this server, not from a CDN.
    app: FastAPI = FastAPIOffline(
        static_url="/docs-assets",
        title="datasync",
        version=__version__,
        summary="Versioned datasets of examples; clients send only what changed.",
        description="Sync protocol v1 (see docs/protocol.md). Errors are"
        ' `{"error": {"kind", "code", "message", "details"}}`.',
        lifespan=lifespan,
    )
    app.state.api_keys = frozenset({*api_keys, *([api_key] if api_key else [])})
    app.state.limits = limits or Limits()
    app.state.decoder = Decoder(decode_processes)
    install_error_handlers(app)

    @app.get("/v1/health", operation_id="health", summary="Liveness (no auth)", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    auth = [Depends(require_api_key)]
    app.include_router(routes.router, dependencies=auth, tags=["datasets"])
    app.include_router(uploads.router, dependencies=auth, tags=["uploads"])
    app.include_router(routes_experiments.router, dependencies=auth, tags=["experiments"])
    app.include_router(routes_tags.router, dependencies=auth)
    install_ui(app)
    app.add_middleware(SizeLimitMiddleware, limits=app.state.limits)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(
        RequestGuardMiddleware, allowed_hosts=allowed_hosts, cors_origins=cors_origins
    )
    if cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Content-Encoding"],
        )
    app.add_middleware(AccessLogMiddleware)  # outermost: status and bytes as sent
    return app
