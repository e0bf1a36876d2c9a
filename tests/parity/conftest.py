"""The long-lived ``node js-parity/bin/datasync-hash.mjs`` process the parity tests talk to.

js-parity's packages are installed (``npm ci``, which also builds it) the first time a test
needs them, so the README's test command runs the TypeScript side on a fresh clone too.
Node.js itself must be on PATH: without it these tests fail with a message (never skip).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

JS_PARITY = Path(__file__).resolve().parents[2] / "js-parity"
BIN = JS_PARITY / "bin" / "datasync-hash.mjs"


def _npm(*args: str) -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not on PATH: install Node.js >= 20.19 (with npm)", pytrace=False)
    done = subprocess.run(
        [npm, *args, "--no-audit", "--no-fund"],
        cwd=JS_PARITY,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        pytest.fail(f"`npm {' '.join(args)}` in js-parity failed:\n{done.stderr}", pytrace=False)


def ensure_js_parity() -> None:
    """Install js-parity's packages (``npm ci`` builds it too) or build it, if needed."""
    if not (JS_PARITY / "node_modules").is_dir():
        _npm("ci")
    if not (JS_PARITY / "dist" / "src" / "client" / "index.js").is_file():
        _npm("run", "build")


def _missing() -> str | None:
    """Why the node side cannot run here (after installing what can be), or None."""
    if shutil.which("node") is None:
        return "node is not on PATH: install Node.js >= 20.19"
    ensure_js_parity()
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
        pytest.fail(f"cross-language parity cannot run: {reason}", pytrace=False)
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
