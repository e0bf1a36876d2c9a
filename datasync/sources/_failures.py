"""Failures of remote locations (fsspec, botocore/s3fs, gcsfs, aiohttp) as typed errors.

fsspec hands on whatever its backend raised, often wrapped: its HTTP filesystem turns a
refused connection or a 403 into ``FileNotFoundError`` with the real cause chained. So the
whole chain (``__cause__``/``__context__``) is looked at, by class name, without importing
the optional libraries, and the most telling failure decides the code:

- ``source_auth``: no or wrong credentials (botocore ``NoCredentialsError``, an access-denied
  ``ClientError``, google-auth errors, ``PermissionError``, HTTP 401/403);
- ``source_timeout``: a connect or read timeout;
- ``source_unreachable``: the host could not be reached (refused, DNS, TLS, reset);
- ``source_not_found``: no such file, key or bucket (HTTP 404, ``NoSuchKey``).

The location is the URL with any credentials (``user:password@``) and query (signed URLs
carry tokens there) removed.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from datasync.errors import SourceError

__all__ = ["public_url", "scrubbed", "source_failure"]

_USERINFO = re.compile(r"([A-Za-z][\w+.-]*://)[^/\s'\"@]*@")
_QUERY = re.compile(r"(://[^\s'\"?]*)\?[^\s'\"]*")

_AUTH_NAMES = {
    "NoCredentialsError",
    "PartialCredentialsError",
    "CredentialRetrievalError",
    "DefaultCredentialsError",
    "RefreshError",
    "PermissionError",
}
_AUTH_CODES = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "AllAccessDisabled",
    "Forbidden",
    "Unauthorized",
    "401",
    "403",
}
_NOT_FOUND_CODES = {"NoSuchKey", "NoSuchBucket", "404", "NotFound"}
_TIMEOUT_NAMES = {
    "TimeoutError",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ServerTimeoutError",
    "FSTimeoutError",
    "ConnectionTimeoutError",
    "SocketTimeoutError",
}
_UNREACHABLE_NAMES = {
    "ConnectionError",
    "ClientConnectorError",
    "ClientConnectionError",
    "ServerDisconnectedError",
    "EndpointConnectionError",
    "gaierror",
    "SSLError",
    "ClientSSLError",
}
_LIMIT = 10  # links of the chain looked at


def public_url(uri: str) -> str:
    """``uri`` without credentials or query: what error messages may show."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return uri
    if not parts.scheme or not parts.netloc:
        return uri
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def scrubbed(text: str) -> str:
    """``text`` (an exception's message) with credentials and queries cut from its URLs."""
    return _QUERY.sub(r"\1", _USERINFO.sub(r"\1", text))


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(out) < _LIMIT and current not in out:
        out.append(current)
        current = current.__cause__ or current.__context__
    return out


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _status(exc: BaseException) -> str | None:
    """An HTTP status or service error code the exception carries (aiohttp ``status``,
    botocore ``response["Error"]["Code"]``, gcsfs ``code``)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error")
        if isinstance(error, dict) and error.get("Code") is not None:
            return str(error["Code"])
    for attribute in ("status", "code"):
        value = getattr(exc, attribute, None)
        if isinstance(value, int) and 100 <= value < 600:
            return str(value)
    return None


def _code(exc: BaseException) -> str | None:
    names, status = _names(exc), _status(exc)
    if names & _AUTH_NAMES or status in _AUTH_CODES:
        return "source_auth"
    if names & _TIMEOUT_NAMES:
        return "source_timeout"
    if names & _UNREACHABLE_NAMES:
        return "source_unreachable"
    if status in _NOT_FOUND_CODES or "FileNotFoundError" in names:
        return "source_not_found"
    return None


_MESSAGES = {
    "source_auth": "access denied: check the credentials for this location (for s3:// the AWS"
    " credentials or profile, for gs:// the Google application credentials)",
    "source_timeout": "timed out reaching the location; check the network, or try again",
    "source_unreachable": "cannot reach the location's host (refused, unknown host or broken"
    " connection); check the URL and the network",
    "source_not_found": "no such file",
}
_ORDER = ("source_auth", "source_timeout", "source_unreachable", "source_not_found")


def source_failure(exc: BaseException, uri: str) -> SourceError | None:
    """The :class:`SourceError` for a failure to open or read ``uri``, or ``None`` when the
    exception is none of the kinds above."""
    found = {code for link in _chain(exc) if (code := _code(link)) is not None}
    for code in _ORDER:
        if code in found:
            cause = next(link for link in _chain(exc) if _code(link) == code)
            detail = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
            detail = scrubbed(detail)
            what = f"{type(cause).__name__}: {detail}" if detail else type(cause).__name__
            return SourceError(f"{_MESSAGES[code]} ({what})", code=code, location=public_url(uri))
    return None
