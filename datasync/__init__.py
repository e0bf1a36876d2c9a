"""datasync: sync datasets of examples to a versioned store, hashing on the client."""

import importlib as _importlib
import logging as _logging
import typing as _typing

from datasync._version import __version__
from datasync.errors import (
    AuthError,
    CanonicalError,
    ConflictError,
    DatasyncError,
    DeleteGuardError,
    FingerprintWarning,
    HashMismatchError,
    MissingExtraError,
    NotFoundError,
    SourceError,
    TagError,
    TooLargeError,
    TransportError,
    UsageError,
    ValidationError,
)

# A library logs, the application decides where to (the CLI: datasync._logging.configure).
_logging.getLogger("datasync").addHandler(_logging.NullHandler())

if _typing.TYPE_CHECKING:
    from datasync.canonical import canonicalize, content_hash, loads_strict
    from datasync.client import Client, Dataset, Experiment, export_to_phoenix, run_experiment

__all__ = [
    "AuthError",
    "CanonicalError",
    "Client",
    "ConflictError",
    "Dataset",
    "DatasyncError",
    "DeleteGuardError",
    "Experiment",
    "FingerprintWarning",
    "HashMismatchError",
    "MissingExtraError",
    "NotFoundError",
    "SourceError",
    "TagError",
    "TooLargeError",
    "TransportError",
    "UsageError",
    "ValidationError",
    "__version__",
    "canonicalize",
    "content_hash",
    "export_to_phoenix",
    "loads_strict",
    "run_experiment",
]

# Imported on first use (PEP 562), so that `import datasync` (and so every `datasync`
# command, which imports only what it runs) does not load the client, the store and the
# sources up front.
_LAZY = {
    "canonicalize": "datasync.canonical",
    "content_hash": "datasync.canonical",
    "loads_strict": "datasync.canonical",
    "Client": "datasync.client",
    "Dataset": "datasync.client",
    "Experiment": "datasync.client",
    "export_to_phoenix": "datasync.client",
    "run_experiment": "datasync.client",
}


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'datasync' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
