"""Open a location as a binary stream: a path, ``-`` (stdin), ``git://`` or any fsspec URL.

Compression is undone here from the name: ``.gz`` (gzip) and ``.zst``/``.zstd`` (Zstandard).
"""

from __future__ import annotations

import gzip
import sys
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import IO, Any

from datasync._extras import require
from datasync.errors import DatasyncError, SourceError, UsageError
from datasync.sources._failures import public_url, scrubbed, source_failure
from datasync.sources._git import open_git_blob, parse_git_url

COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}
#: fsspec protocol -> the module (and so the extra) its backend needs
_BACKENDS = {"http": "aiohttp", "https": "aiohttp", "s3": "s3fs", "gs": "gcsfs", "gcs": "gcsfs"}


@dataclass(frozen=True)
class Opened:
    """An open location: ``name`` for locations, ``path`` for format detection."""

    name: str
    path: str
    stream: IO[bytes]
    compression: str | None
    seekable: bool


def compression_of(path: str) -> str | None:
    """The compression a file name says (``gzip``, ``zstd``) or None."""
    for suffix, kind in COMPRESSIONS.items():
        if path.lower().endswith(suffix):
            return kind
    return None


def require_backend(uri: str) -> None:
    """The fsspec backend ``uri``'s protocol needs, or MissingExtraError naming its extra."""
    backend = _BACKENDS.get(uri.split("://", 1)[0].lower())
    if backend is not None:
        require(backend, f"reading {uri.split('://', 1)[0]}:// locations")


def _fsspec_open(uri: str, storage_options: dict[str, Any]) -> IO[bytes]:
    import fsspec

    require_backend(uri)
    if _is_http(uri):
        # One streaming GET: works with servers that ignore Range requests.
        storage_options = {"block_size": 0, **storage_options}
    try:
        stream: IO[bytes] = fsspec.open(uri, "rb", **storage_options).open()
    except (ImportError, ValueError) as exc:
        failure = source_failure(exc, uri)
        if failure is not None:
            raise failure from None
        raise UsageError(
            f"cannot open {public_url(uri)}: {scrubbed(str(exc))}",
            code="unsupported_location",
        ) from None
    except Exception as exc:  # any backend's failure (botocore, gcsfs, aiohttp): typed
        raise _failure(exc, uri) from None
    return stream


def _failure(exc: BaseException, name: str) -> SourceError:
    """The typed error of a failure to open or read ``name`` (see ``_failures``)."""
    failure = source_failure(exc, name)
    if failure is not None:
        return failure
    detail = scrubbed(f"{type(exc).__name__}: {exc}")
    return SourceError(
        f"cannot read: {detail}", code="source_unreadable", location=public_url(name)
    )


def _local_open(path: str) -> IO[bytes]:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise SourceError("no such file", code="source_not_found", location=path) from None
    except OSError as exc:
        raise SourceError(
            f"cannot read: {exc.strerror}", code="source_unreadable", location=path
        ) from None


def location_path(uri: str) -> str:
    """The file path inside ``uri`` that names its format (``""`` for stdin)."""
    if uri == "-":
        return ""
    if uri.startswith("git://"):
        return parse_git_url(uri).path
    return uri.split("?", 1)[0] if "://" in uri else uri


def _is_http(uri: str) -> bool:
    return uri.lower().startswith(("http://", "https://"))


@contextmanager
def open_location(uri: str, storage_options: dict[str, Any]) -> Iterator[Opened]:
    """Open ``uri`` for reading bytes, decompressed. Raises SourceError / UsageError."""
    with ExitStack() as stack:
        seekable = False
        if uri == "-":
            name, path, raw = "<stdin>", "", sys.stdin.buffer
        elif uri.startswith("git://"):
            loc = parse_git_url(uri)
            name, path = loc.name, loc.path
            raw = stack.enter_context(open_git_blob(loc))
        elif "://" not in uri:
            name, path, seekable = uri, uri, True
            raw = stack.enter_context(_local_open(uri))
        else:
            name, path = public_url(uri), uri.split("?", 1)[0]
            raw = stack.enter_context(_fsspec_open(uri, storage_options))
            seekable = storage_options.get("block_size", 0 if _is_http(uri) else None) != 0
            seekable = seekable and bool(getattr(raw, "seekable", lambda: False)())
        compression = compression_of(path)
        stream = raw
        seekable = seekable and compression is None
        if compression == "gzip":
            stream = stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb"))
        elif compression == "zstd":
            zstandard = require("zstandard", "reading .zst files")
            reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
            stream = stack.enter_context(reader)
        yield Opened(name, path, stream, compression, seekable)


_DECOMPRESSION_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)


def _decompression_errors(compression: str | None) -> tuple[type[BaseException], ...]:
    if compression == "zstd":
        return (*_DECOMPRESSION_ERRORS, require("zstandard", "reading .zst files").ZstdError)
    return _DECOMPRESSION_ERRORS


def safe_reader(opened: Opened) -> Callable[[int], bytes]:
    """``opened.stream.read`` that turns decompression and I/O failures into SourceError."""
    decompression_errors = _decompression_errors(opened.compression)

    def read(size: int) -> bytes:
        try:
            return opened.stream.read(size)
        except decompression_errors as exc:
            raise SourceError(
                f"cannot decompress ({opened.compression}): {exc}",
                code="bad_compression",
                location=opened.name,
            ) from None
        except DatasyncError:
            raise
        except Exception as exc:  # an I/O failure of any backend, mid-stream
            raise _failure(exc, opened.name) from None

    return read
