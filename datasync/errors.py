"""Every error a user can cause is a :class:`DatasyncError`.

The tree::

    DatasyncError                 code, message, details           (exit 1, HTTP 500)
    ├── UsageError                bad arguments or options          (exit 2, HTTP 400)
    ├── CanonicalError            value refused by content hash v1  (HTTP 422)  + path
    ├── SourceError               bad input data in a source        (HTTP 422)  + location
    ├── ValidationError           a request or commit is invalid    (HTTP 422)
    │   ├── HashMismatchError     a received hash is not what the server computes
    │   ├── TagError              a tag breaks the documented limits
    │   └── DeleteGuardError      a mirror push would delete too much (--max-delete)
    ├── NotFoundError             no such dataset, version, ...     (HTTP 404)
    ├── ConflictError             the base version is not the head  (HTTP 409)
    ├── AuthError                 missing or wrong API key          (HTTP 401)
    ├── TooLargeError             body or example over a limit      (HTTP 413)
    ├── TransportError            the server could not be reached   (client side)
    └── MissingExtraError         a feature's optional dependencies are not installed

One warning: :class:`FingerprintWarning` (a ``UserWarning``), when a task's derived
fingerprint cannot see a value the task reads.

Each class has a stable ``kind`` (its wire name) and a default ``code``; an instance may carry
a more specific ``code`` (``CanonicalError`` has one per refusal). The server answers with
``{"error": {"kind", "code", "message", "details"}}``; the client turns that body back into the
same class with :func:`error_from_wire`, so callers catch one exception whether the store is
embedded or remote.
"""

from __future__ import annotations

from typing import Any, ClassVar

#: The name datasync is published under on the Python package index (the import name and the
#: command stay ``datasync``): what ``pip install`` needs in error messages.
DISTRIBUTION = "datasync-engine"


class DatasyncError(Exception):
    """Base of every datasync error: a stable ``code``, a message, and ``details``."""

    kind: ClassVar[str] = "error"
    default_code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"

    def to_wire(self) -> dict[str, Any]:
        """The JSON body the server sends for this error."""
        return {
            "error": {
                "kind": self.kind,
                "code": self.code,
                "message": self.message,
                "details": self.details,
            }
        }


class UsageError(DatasyncError):
    """Bad arguments or options (a caller mistake, not bad data)."""

    kind = "usage"
    default_code = "usage"
    http_status = 400
    exit_code = 2


class CanonicalError(DatasyncError):
    """A value refused by content hash v1; ``path`` is its JSON path (``$.input.a[3]``)."""

    kind = "canonical"
    default_code = "invalid_value"
    http_status = 422

    def __init__(
        self, code: str, path: str, reason: str, *, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(
            f"{reason} at {path}", code=code, details={"path": path, **(details or {})}
        )
        self.path = path
        self.reason = reason


class SourceError(DatasyncError):
    """Bad data in a source; ``location`` says where (``data.jsonl:12:5``, ``x.parquet row 7``)."""

    kind = "source"
    default_code = "bad_source"
    http_status = 422

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        location: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        full = f"{location}: {message}" if location else message
        merged = {**(details or {})}
        if location:
            merged["location"] = location
        super().__init__(full, code=code, details=merged)
        self.location = location


class ValidationError(DatasyncError):
    """A request or commit is invalid (unknown ids, duplicates, malformed operations)."""

    kind = "validation"
    default_code = "invalid_request"
    http_status = 422


class HashMismatchError(ValidationError):
    """The hash a client sent is not the hash the server computes for that example."""

    kind = "hash_mismatch"
    default_code = "hash_mismatch"


class TagError(ValidationError):
    """A tag breaks the documented limits (count, key charset, value length, reserved prefix)."""

    kind = "tag"
    default_code = "invalid_tag"


class DeleteGuardError(ValidationError):
    """A mirror push would delete more than its limit allows (``empty_source``: the source
    holds no examples; ``too_many_deletes``: more than ``--max-delete``); nothing is written."""

    kind = "delete_guard"
    default_code = "too_many_deletes"


class NotFoundError(DatasyncError):
    """No such dataset, version, experiment or route."""

    kind = "not_found"
    default_code = "not_found"
    http_status = 404


class ConflictError(DatasyncError):
    """The commit was planned against a version that is no longer the head."""

    kind = "conflict"
    default_code = "stale_base"
    http_status = 409


class AuthError(DatasyncError):
    """A missing or wrong API key."""

    kind = "auth"
    default_code = "unauthorized"
    http_status = 401


class TooLargeError(DatasyncError):
    """A request body or an example exceeds a configured limit."""

    kind = "too_large"
    default_code = "too_large"
    http_status = 413


class TransportError(DatasyncError):
    """The server could not be reached or answered something that is not datasync."""

    kind = "transport"
    default_code = "transport"


class MissingExtraError(DatasyncError):
    """A feature needs an optional dependency that is not installed; ``extra`` names the
    extra that brings it (``pip install 'datasync-engine[parquet]'``)."""

    kind = "missing_extra"
    default_code = "missing_extra"

    def __init__(self, feature: str, extra: str, module: str) -> None:
        super().__init__(
            f"{feature} needs the optional dependency {module!r}, which is not installed: "
            f"pip install '{DISTRIBUTION}[{extra}]'",
            details={"extra": extra, "module": module},
        )
        self.extra = extra
        self.module = module


class FingerprintWarning(UserWarning):
    """A task or evaluator reads a value its derived fingerprint cannot see (a client object,
    say): a change to that value will not make an experiment run the task again. Warned once
    per function and name; pass ``task_version=`` to say when the behaviour changes."""


def _all_error_classes() -> dict[str, type[DatasyncError]]:
    found: dict[str, type[DatasyncError]] = {}
    stack: list[type[DatasyncError]] = [DatasyncError]
    while stack:
        cls = stack.pop()
        found[cls.kind] = cls
        stack.extend(cls.__subclasses__())
    return found


def error_from_wire(body: dict[str, Any], status: int) -> DatasyncError:
    """Rebuild the exception a server sent as ``{"error": {...}}`` (see :meth:`to_wire`)."""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return TransportError(f"server answered HTTP {status} without a datasync error body")
    cls = _all_error_classes().get(str(err.get("kind")), DatasyncError)
    message = str(err.get("message", ""))
    code = str(err.get("code", cls.default_code))
    details = err.get("details") if isinstance(err.get("details"), dict) else {}
    exc = cls.__new__(cls)
    DatasyncError.__init__(exc, message, code=code, details=details)
    if isinstance(exc, CanonicalError):
        exc.path = str(exc.details.get("path", "$"))
        exc.reason = message
    if isinstance(exc, SourceError):
        loc = exc.details.get("location")
        exc.location = str(loc) if loc is not None else None
    if isinstance(exc, MissingExtraError):
        exc.extra = str(exc.details.get("extra", ""))
        exc.module = str(exc.details.get("module", ""))
    return exc
