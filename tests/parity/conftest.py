"""The long-lived ``node js-parity/bin/datasync-hash.mjs`` process the parity tests talk to.

Skipped with a message where Node.js or js-parity's build is absent; a failure instead when
the environment variable ``CI`` is ``"true"`` (CI must never skip the cross-language check).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

JS_PARITY = Path(__file__).resolve().parents[2] / "js-parity"
BIN = JS_PARITY / "bin" / "datasync-hash.mjs"


def _missing() -> str | None:
    """Why the node side cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not (JS_PARITY / "node_modules").is_dir():
        return f"{JS_PARITY / 'node_modules'} is absent: run `cd js-parity && npm ci`"
    if not (JS_PARITY / "dist" / "src" / "cli.js").is_file():
        return "js-parity is not built: run `cd js-parity && npm ci` (or `npm run build`)"
    return None


class NodeHasher:
    """One ``datasync-hash`` process: write a line of JSON text, read its answer line."""

    def __init__(self, *args: str) -> None:
        self._proc = subprocess.Popen(
            [shutil.which("node") or "node", str(BIN), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def answer(self, line: bytes) -> dict[str, Any]:
        """The node answer for one line of JSON text (must not contain a newline byte)."""
        assert b"\n" not in line
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(line + b"\n")
        self._proc.stdin.flush()
        reply = self._proc.stdout.readline()
        if not reply:
            raise RuntimeError(f"datasync-hash exited with status {self._proc.wait()}")
        result: dict[str, Any] = json.loads(reply)
        return result

    def close(self) -> None:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.close()
        self._proc.stdout.close()
        self._proc.wait(timeout=10)


def _start(*args: str) -> Iterator[NodeHasher]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"cross-language parity cannot run in CI: {reason}", pytrace=False)
        pytest.skip(f"cross-language parity skipped: {reason}")
    hasher = NodeHasher(*args)
    try:
        yield hasher
    finally:
        hasher.close()


@pytest.fixture(scope="module")
def node_examples() -> Iterator[NodeHasher]:
    """``datasync-hash`` reading example lines (content hash v1)."""
    yield from _start()


@pytest.fixture(scope="module")
def node_canonical() -> Iterator[NodeHasher]:
    """``datasync-hash --canonical`` reading any JSON value."""
    yield from _start("--canonical")
