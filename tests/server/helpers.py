"""Building NDJSON commit bodies for the API tests."""

from __future__ import annotations

import gzip
import json
from typing import Any

from datasync.canonical import content_hash
from datasync.sync import ChangeKind, CommitHeader, Operation


def example(i: int, rev: int = 0) -> dict[str, Any]:
    return {
        "input": {"question": f"q{i}", "n": i, "f": i / 7},
        "output": {"answer": f"a{i}-{rev}"},
        "metadata": {"split": "test" if i % 3 == 0 else "train", "rev": rev},
    }


def op(kind: ChangeKind, sid: str, content: dict[str, Any] | None = None) -> dict[str, Any]:
    if content is None:
        return Operation(ChangeKind.DELETE, sid).to_wire()
    h = content_hash(content["input"], content["output"], content["metadata"])
    return Operation(
        kind, sid, h, content["input"], content["output"], content["metadata"]
    ).to_wire()


def ndjson(header: CommitHeader | dict[str, Any], lines: list[Any], *, gz: bool = False) -> bytes:
    head = header.to_wire() if isinstance(header, CommitHeader) else header
    text = "\n".join(json.dumps(x, ensure_ascii=False) for x in [head, *lines]) + "\n"
    data = text.encode()
    return gzip.compress(data) if gz else data


NDJSON = {"Content-Type": "application/x-ndjson"}
GZIP = {**NDJSON, "Content-Encoding": "gzip"}
