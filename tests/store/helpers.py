"""Helpers to build example bodies and operations with correct hashes."""

from __future__ import annotations

from typing import Any

from datasync.canonical import content_hash
from datasync.sync import ChangeKind, Operation


def body(i: int, rev: int = 0) -> dict[str, Any]:
    """A small example body; ``rev`` changes its content."""
    return {
        "input": {"question": f"q{i}", "n": i, "nested": {"list": [i, 1.5, None, True]}},
        "output": {"answer": f"a{i}-{rev}"},
        "metadata": {"split": "test" if i % 3 == 0 else "train", "rev": rev},
    }


def op(kind: ChangeKind, source_id: str, content: dict[str, Any] | None = None) -> Operation:
    """An operation with a correct hash (DELETE when ``content`` is None)."""
    if content is None:
        return Operation(ChangeKind.DELETE, source_id)
    h = content_hash(content["input"], content["output"], content["metadata"])
    return Operation(kind, source_id, h, content["input"], content["output"], content["metadata"])


def creates(n: int, start: int = 0) -> list[Operation]:
    return [op(ChangeKind.CREATE, f"ex-{i:04d}", body(i)) for i in range(start, start + n)]
