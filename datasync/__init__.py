"""datasync: sync datasets of examples to a versioned store, hashing on the client."""

from datasync._version import __version__
from datasync.canonical import canonicalize, content_hash, loads_strict
from datasync.client import Client, Dataset, Experiment, run_experiment
from datasync.errors import (
    AuthError,
    CanonicalError,
    ConflictError,
    DatasyncError,
    HashMismatchError,
    NotFoundError,
    SourceError,
    TagError,
    TooLargeError,
    TransportError,
    UsageError,
    ValidationError,
)

__all__ = [
    "AuthError",
    "CanonicalError",
    "Client",
    "ConflictError",
    "Dataset",
    "DatasyncError",
    "Experiment",
    "HashMismatchError",
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
    "loads_strict",
    "run_experiment",
]
