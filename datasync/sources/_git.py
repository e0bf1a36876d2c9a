"""git locations: a file as of a commit, branch or tag, read with the ``git`` command.

Two URL forms name the same thing (the repository is a local path; clone remote ones first):

* ``git://REPO@REV:PATH`` (datasync's form), e.g. ``git://./repo@v1.2:data/qa.jsonl``;
* ``git://REPO:REV@PATH`` (fsspec's form; ``git://REPO@PATH`` means ``HEAD``).

The blob is streamed from ``git cat-file blob REV:PATH`` through a pipe; nothing but the
``git`` executable is needed.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from datasync.errors import SourceError, UsageError

_DATASYNC_FORM = re.compile(r"git://(?P<repo>.*?)@(?P<rev>[^@:]+):(?P<path>.+)\Z")
_FSSPEC_FORM = re.compile(r"git://(?P<repo>[^@]*?):(?P<rev>[^@:]+)@(?P<path>.+)\Z")
_FSSPEC_HEAD_FORM = re.compile(r"git://(?P<repo>[^@:]*)@(?P<path>[^:]+)\Z")


@dataclass(frozen=True)
class GitLocation:
    """A path inside a local repository as of a revision."""

    repo: str
    rev: str
    path: str

    @property
    def name(self) -> str:
        """How locations name this file: ``repo@rev:path``."""
        return f"{self.repo}@{self.rev}:{self.path}"


def parse_git_url(uri: str) -> GitLocation:
    """Split a ``git://`` URL into repository, revision and path. Raises UsageError."""
    for pattern in (_DATASYNC_FORM, _FSSPEC_FORM, _FSSPEC_HEAD_FORM):
        match = pattern.match(uri)
        if match:
            groups = match.groupdict()
            repo = groups["repo"] or "."
            rev = groups.get("rev") or "HEAD"
            path = groups["path"].lstrip("/")
            if rev.startswith("-"):
                raise UsageError(f"bad git revision {rev!r} in {uri}", code="bad_location")
            return GitLocation(repo, rev, path)
    raise UsageError(
        f"cannot read git URL {uri!r}: write git://REPO@REV:PATH (or git://REPO:REV@PATH)",
        code="bad_location",
    )


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise UsageError(
            "git locations need the git command, which is not installed", code="git_not_found"
        ) from None


@contextmanager
def open_git_blob(loc: GitLocation) -> Iterator[IO[bytes]]:
    """Stream the blob at ``loc``. Raises SourceError ``source_not_found`` when absent."""
    found = _git("-C", loc.repo, "rev-parse", "--verify", "--quiet", f"{loc.rev}^{{commit}}")
    if found.returncode != 0:
        why = found.stderr.decode(errors="replace").strip() or "no such commit, branch or tag"
        raise SourceError(
            f"cannot read revision {loc.rev!r} of git repository {loc.repo!r}: {why}",
            code="source_not_found",
            location=loc.name,
        )
    exists = _git("-C", loc.repo, "cat-file", "-e", f"{loc.rev}:{loc.path}")
    if exists.returncode != 0:
        raise SourceError(
            f"no file {loc.path!r} at revision {loc.rev!r}",
            code="source_not_found",
            location=loc.name,
        )
    proc = subprocess.Popen(
        ["git", "-C", loc.repo, "cat-file", "blob", f"{loc.rev}:{loc.path}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    try:
        yield proc.stdout
    finally:
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
