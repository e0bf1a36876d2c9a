"""The :class:`Client`: one entry point, over the embedded store or a server."""

from __future__ import annotations

import os

from datasync.client._backend import Backend
from datasync.client._datasets import DatasetsAPI
from datasync.client._experiments import ExperimentsAPI
from datasync.client._http import HttpBackend
from datasync.errors import UsageError

__all__ = ["API_KEY_ENV", "URL_ENV", "Client"]

#: Environment variables a :class:`Client` reads when not given arguments.
URL_ENV = "DATASYNC_URL"
API_KEY_ENV = "DATASYNC_API_KEY"


class Client:
    """A datasync client: ``client.datasets.upsert_dataset(...)`` and friends.

    * ``Client()``: a server at ``$DATASYNC_URL`` if set, else the embedded store
      (``$DATASYNC_STORE``, else ``~/.local/share/datasync/store.sqlite``) in this process.
    * ``Client(base_url="http://host:8765", api_key=...)``: that server (``api_key``
      defaults to ``$DATASYNC_API_KEY``).
    * ``Client(store="path/or/postgresql://url")``: that store, embedded.

    ``timeout`` (seconds per request) and ``retries`` apply to a server. Use it as a context
    manager, or call :meth:`close`. Raises :class:`UsageError` for both a URL and a store.
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        store: str | os.PathLike[str] | None = None,
        timeout: float = 60.0,
        retries: int = 3,
    ) -> None:
        if base_url is not None and store is not None:
            raise UsageError("give a server URL or a store, not both", code="bad_option")
        url = base_url if store is not None or base_url else os.environ.get(URL_ENV) or None
        backend: Backend
        if url:
            key = api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None
            backend = HttpBackend(url, key, timeout=timeout, retries=retries)
        else:
            # imported here: a client of a server never loads the store (SQLAlchemy, Alembic)
            from datasync.client._embedded import EmbeddedBackend
            from datasync.store import default_store_url, normalize_url

            location = normalize_url(os.fspath(store)) if store is not None else default_store_url()
            backend = EmbeddedBackend(location)
        self.backend = backend
        self.datasets = DatasetsAPI(backend)
        self.experiments = ExperimentsAPI(backend)

    @property
    def location(self) -> str:
        """Where the data lives: the server URL or the store URL."""
        return self.backend.location

    @property
    def is_remote(self) -> bool:
        return isinstance(self.backend, HttpBackend)

    def close(self) -> None:
        """Close connections (the embedded store's pool, or the HTTP client)."""
        self.backend.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.location!r})"
