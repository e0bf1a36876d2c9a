"""The :class:`Client`: one entry point, over the embedded store or a server."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from datasync._env import API_KEY_ENV, URL_ENV, setting
from datasync.client._backend import Backend
from datasync.client._datasets import DatasetsAPI
from datasync.client._experiments import ExperimentsAPI
from datasync.client._http import HttpBackend
from datasync.errors import NotFoundError, UsageError

__all__ = ["API_KEY_ENV", "URL_ENV", "Client"]


class Client:
    """A datasync client: ``client.datasets.upsert_dataset(...)`` and friends.

    * ``Client()``: a server at ``$DATASYNC_URL`` if set, else the embedded store
      (``$DATASYNC_STORE``, else ``~/.local/share/datasync/store.sqlite``) in this process.
    * ``Client(base_url="http://host:8765", api_key=...)``: that server (``api_key``
      defaults to ``$DATASYNC_API_KEY``).
    * ``Client(store="path/or/postgresql://url")``: that store, embedded.

    ``timeout`` (seconds per request) and ``retries`` apply to a server. With
    ``create=False`` an embedded SQLite store that does not exist yet is not created:
    :class:`NotFoundError` (``store_not_found``), which is what read-only commands want.
    :attr:`target` says where the data lives; :attr:`created_store` whether this client
    created the embedded store's file. Use it as a context manager, or call :meth:`close`.
    Raises :class:`UsageError` for both a URL and a store, for a server URL without
    ``http(s)://`` or ending in ``/v1``, and for ``DATASYNC_URL``, ``DATASYNC_API_KEY`` or
    ``DATASYNC_STORE`` set but empty (``empty_env``) when it would be read.
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        store: str | os.PathLike[str] | None = None,
        timeout: float = 60.0,
        retries: int = 3,
        create: bool = True,
    ) -> None:
        if base_url is not None and store is not None:
            raise UsageError("give a server URL or a store, not both", code="bad_option")
        url = base_url if store is not None or base_url else setting(URL_ENV)
        backend: Backend
        self.created_store = False
        if url:
            key = api_key if api_key is not None else setting(API_KEY_ENV)
            backend = HttpBackend(url, key, timeout=timeout, retries=retries)
        else:
            # imported here: a client of a server never loads the store (SQLAlchemy, Alembic)
            from datasync.client._embedded import EmbeddedBackend
            from datasync.store import default_store_url, normalize_url

            location = normalize_url(os.fspath(store)) if store is not None else default_store_url()
            path = _sqlite_path(location)
            if path is not None and not path.exists():
                if not create:
                    raise NotFoundError(
                        f"no store at {path}: check --store / DATASYNC_STORE (a push creates"
                        " one), or give --server for a server",
                        code="store_not_found",
                        details={"store": str(path)},
                    )
                self.created_store = True
            backend = EmbeddedBackend(location)
        self.backend = backend
        self.datasets = DatasetsAPI(backend)
        self.experiments = ExperimentsAPI(backend)

    @property
    def location(self) -> str:
        """Where the data lives: the server URL or the store URL."""
        return self.backend.location

    @property
    def target(self) -> str:
        """Where the data lives, for people: the server URL (without credentials), the
        SQLite file's path, or the database URL with its password hidden."""
        location = self.backend.location
        if self.is_remote:
            parts = urlsplit(location)
            host = parts.netloc.rpartition("@")[2]
            return urlunsplit((parts.scheme, host, parts.path, "", ""))
        path = _sqlite_path(location)
        if path is not None:
            return str(path)
        import sqlalchemy as sa

        return sa.make_url(location).render_as_string(hide_password=True)

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


def _sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///PATH`` URL (``None``: another database, or in memory)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url[len(prefix) :] in ("", ":memory:"):
        return None
    return Path(url[len(prefix) :].partition("?")[0])
