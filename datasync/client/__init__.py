"""The Python client: ``Client().datasets.upsert_dataset(...)``, embedded or over HTTP.

* :class:`Client` picks a backend: the embedded store in-process (default) or a server.
* :class:`DatasetsAPI` (``client.datasets``): ``upsert_dataset``, ``diff``, ``get_dataset``,
  ``list_datasets``, ``list_versions``.
* :class:`ExperimentsAPI` (``client.experiments``) and :func:`run_experiment`: run a task over
  a pinned version, score it, reuse what did not change; :class:`Experiment` is the result.
* :class:`Dataset`, :class:`ChangeSummary`, :class:`Diff`, :class:`VersionDiff`,
  :class:`Transfer`: the results.
* :func:`export_to_phoenix`: a version into an Arize Phoenix dataset through Phoenix's
  upsert, every example read back and checked by its ``sha256-128`` content hash
  (:class:`PhoenixExport`); importing is ``upsert_dataset(examples="phoenix://...")``.
* :class:`Backend` with :class:`EmbeddedBackend` and :class:`HttpBackend`: the small interface
  the client is written against (see docs/client.md).
"""

import typing as _typing

from datasync.client._backend import Backend, WireCounter
from datasync.client._client import API_KEY_ENV, URL_ENV, Client
from datasync.client._datasets import DatasetsAPI, Progress
from datasync.client._experiments import Experiment, ExperimentsAPI, run_experiment
from datasync.client._http import HttpBackend
from datasync.client._phoenix import PhoenixExport, PhoenixMismatch, export_to_phoenix
from datasync.client._results import ChangeSummary, Dataset, Diff, Transfer, VersionDiff

if _typing.TYPE_CHECKING:
    from datasync.client._embedded import EmbeddedBackend

__all__ = [
    "API_KEY_ENV",
    "URL_ENV",
    "Backend",
    "ChangeSummary",
    "Client",
    "Dataset",
    "DatasetsAPI",
    "Diff",
    "EmbeddedBackend",
    "Experiment",
    "ExperimentsAPI",
    "HttpBackend",
    "PhoenixExport",
    "PhoenixMismatch",
    "Progress",
    "Transfer",
    "VersionDiff",
    "WireCounter",
    "export_to_phoenix",
    "run_experiment",
]


def __getattr__(name: str) -> _typing.Any:
    # EmbeddedBackend loads the store (SQLAlchemy, Alembic): only when asked for.
    if name == "EmbeddedBackend":
        from datasync.client._embedded import EmbeddedBackend

        return EmbeddedBackend
    raise AttributeError(f"module 'datasync.client' has no attribute {name!r}")
