"""Directories and globs as one source: every matching file, in sorted order, read as one.

A location names several files when it is a directory (a local directory, or any location
ending in ``/``) or holds a glob pattern (``*``, ``?``, ``[``; ``**`` crosses directories):
``data/``, ``data/*.jsonl``, ``s3://bucket/qa/``, ``git://.@HEAD:data/*.jsonl``. A
directory holds its files with a known format extension (not its subdirectories, not hidden
files). The files are read one after the other in sorted order; errors are collected across
them up to ``max_errors``, and an id found in two files is a ``duplicate_source_id`` error
naming both files and lines.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

from datasync.errors import SourceError, UsageError
from datasync.sources._git import parse_git_url
from datasync.sources._locations import require_backend
from datasync.sources._problems import ErrorCollector, duplicate_error

_GLOB = re.compile(r"[*?\[]")


class _Identified(Protocol):
    @property
    def location(self) -> str: ...


T = TypeVar("T", bound=_Identified)


def _path_part(uri: str) -> str:
    if uri.startswith("git://"):
        return parse_git_url(uri).path
    if "://" in uri:
        return uri.split("://", 1)[1]
    return uri


def is_many(uri: str) -> bool:
    """Whether ``uri`` names a directory or a glob (several files) rather than one file."""
    if uri == "-" or uri.lower().startswith(("http://", "https://")):
        return False
    if "://" not in uri:
        return os.path.isdir(uri) or (_GLOB.search(uri) is not None and not os.path.exists(uri))
    path = _path_part(uri)
    return path.endswith("/") or _GLOB.search(path) is not None or path in ("", ".")


def split_name(name: str) -> str:
    """The ``metadata.split`` a file name gives: its base name without extensions
    (``data/train.jsonl.gz`` -> ``train``)."""
    base = name.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    lower = base.lower()
    for suffix in (".gz", ".zst", ".zstd"):
        if lower.endswith(suffix):
            base = base[: -len(suffix)]
            break
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    return stem or base


def source_files(
    uri: str, known: Callable[[str], bool], storage_options: dict[str, Any]
) -> list[str]:
    """The files ``uri`` names, sorted, each a location :func:`open_source` reads.

    ``known(name)`` says whether a directory's file has a readable format. Raises
    :class:`SourceError` ``source_not_found`` when nothing matches.
    """
    if uri.startswith("git://"):
        files = _git_files(uri, known)
    elif "://" in uri:
        files = _fsspec_files(uri, known, storage_options)
    else:
        files = _local_files(uri, known)
    if not files:
        raise SourceError(
            "no files match (a directory holds files ending in .jsonl, .json, .csv or"
            " .parquet, optionally .gz/.zst)",
            code="source_not_found",
            location=uri,
        )
    return sorted(files)


def _visible(name: str) -> bool:
    return not name.rsplit("/", 1)[-1].startswith(".")


def _local_files(uri: str, known: Callable[[str], bool]) -> list[str]:
    if os.path.isdir(uri):
        with os.scandir(uri) as entries:
            return [
                os.path.join(uri, e.name)
                for e in entries
                if e.is_file() and _visible(e.name) and known(e.name)
            ]
    return [p for p in glob.glob(uri, recursive=True) if os.path.isfile(p)]


def _fsspec_files(
    uri: str, known: Callable[[str], bool], storage_options: dict[str, Any]
) -> list[str]:
    import fsspec

    require_backend(uri)
    try:
        fs, path = fsspec.core.url_to_fs(uri, **storage_options)
        if _GLOB.search(path):
            found = [p for p in fs.glob(path) if fs.isfile(p)]
        else:
            found = [
                e["name"]
                for e in fs.ls(path, detail=True)
                if e.get("type") == "file" and _visible(e["name"]) and known(e["name"])
            ]
    except FileNotFoundError:
        return []
    except (ImportError, ValueError) as exc:
        raise UsageError(f"cannot list {uri}: {exc}", code="unsupported_location") from None
    except OSError as exc:
        raise SourceError(f"cannot list: {exc}", code="source_unreadable", location=uri) from None
    return [fs.unstrip_protocol(p) for p in found]


def _git_files(uri: str, known: Callable[[str], bool]) -> list[str]:
    loc = parse_git_url(uri)
    pattern = loc.path.rstrip("/") if _GLOB.search(loc.path) else None
    directory = "" if pattern else loc.path.strip("/").removeprefix(".").strip("/")
    try:
        listed = subprocess.run(
            ["git", "-C", loc.repo, "ls-tree", "-r", "--name-only", "-z", loc.rev],
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise UsageError(
            "git locations need the git command, which is not installed", code="git_not_found"
        ) from None
    if listed.returncode != 0:
        why = listed.stderr.decode(errors="replace").strip() or "no such revision"
        raise SourceError(
            f"cannot list revision {loc.rev!r} of git repository {loc.repo!r}: {why}",
            code="source_not_found",
            location=uri,
        )
    names = [n for n in listed.stdout.decode("utf-8", "replace").split("\0") if n]
    if pattern is not None:
        chosen = [n for n in names if _glob_match(n, pattern)]
    else:
        prefix = f"{directory}/" if directory else ""
        chosen = [
            n
            for n in names
            if n.startswith(prefix) and "/" not in n[len(prefix) :] and _visible(n) and known(n)
        ]
    return [f"git://{loc.repo}@{loc.rev}:{n}" for n in chosen]


def _glob_match(name: str, pattern: str) -> bool:
    """Glob matching by path segment (``*`` stays inside one; ``**`` spans any number)."""
    return _match_parts(name.split("/"), pattern.split("/"))


def _match_parts(names: list[str], patterns: list[str]) -> bool:
    if not patterns:
        return not names
    if patterns[0] == "**":
        return any(_match_parts(names[i:], patterns[1:]) for i in range(len(names) + 1))
    return (
        bool(names)
        and fnmatch.fnmatchcase(names[0], patterns[0])
        and _match_parts(names[1:], patterns[1:])
    )


def chained(
    files: list[str],
    read: Callable[[str, int], Iterator[T]],
    identity: Callable[[T], str | None],
    max_errors: int,
    what: str = "source id",
) -> Iterator[T]:
    """The items of every file in turn, as one source.

    ``read(file, max_errors)`` streams one file (raising its collected SourceErrors at the
    end); errors are collected across files up to ``max_errors`` (0: no limit), and an
    identity seen in an earlier file is a duplicate naming both locations. Nothing is yielded
    after the first error, but reading goes on to collect the rest.
    """
    errors = ErrorCollector(max_errors)
    first: dict[str, str] = {}
    duplicates: dict[str, list[str]] = {}
    for name in files:
        budget = max_errors - len(errors.errors) if max_errors else 0
        try:
            for item in read(name, budget):
                key = identity(item)
                if key is not None:
                    seen = first.setdefault(key, item.location)
                    if seen is not item.location:
                        duplicates.setdefault(key, [seen]).append(item.location)
                        continue
                if not errors.errors and not duplicates:
                    yield item
        except SourceError as exc:
            for error in _each(exc):
                errors.add(error)
    if duplicates:
        errors.add(duplicate_error(duplicates, what))
    errors.finish()


def _each(error: SourceError) -> list[SourceError]:
    """The errors a combined SourceError lists (see ErrorCollector.combined), or itself."""
    listed = error.details.get("errors")
    if not isinstance(listed, list):
        return [error]
    out = []
    for entry in listed:
        one = SourceError(str(entry["message"]), code=str(entry["code"]))
        one.location = entry.get("location")
        if one.location is not None:
            one.details["location"] = one.location
        out.append(one)
    return out
