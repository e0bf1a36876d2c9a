"""The export's read-back check, on Phoenix JSONL bodies (tests/bridges runs it against a
real Phoenix): hashes of what Phoenix returns, and every kind of difference by id."""

from __future__ import annotations

import json

from datasync.canonical import content_hash
from datasync.client._phoenix import _compare, hash_phoenix_rows
from datasync.sync import Mode


def _line(sid: str, node: str, input: dict[str, object]) -> bytes:
    row = {"id": sid, "node_id": node, "input": input, "output": {}, "metadata": {}, "splits": []}
    return json.dumps(row).encode() + b"\n"


def test_read_back_rows_hash_as_sha256_128_and_refusals_keep_their_ids() -> None:
    body = (
        _line("a", "n1", {"q": 1.5})
        + b"\n"
        + b'{"id": "b", "node_id": "n2", "input": {"q": NaN}, "output": {}, "metadata": {}}\n'
    )
    rows = list(hash_phoenix_rows(body))
    assert rows[0] == ("a", "n1", content_hash({"q": 1.5}, scheme="sha256-128"), None)
    sid, node, digest, why = rows[1]
    assert (sid, node, digest) == ("b", "n2", None)
    assert why is not None and "not finite" in why


def test_every_difference_is_reported_by_id() -> None:
    same = content_hash({"q": 1}, scheme="sha256-128")
    expected = {"same": same, "changed": same, "missing": same, "refused": same}
    back = [
        ("same", "n1", same, None),
        ("changed", "n2", "0" * 32, None),
        ("refused", "n3", None, "number nan is not finite at $.input.q"),
        ("extra", "n4", same, None),
    ]
    mirror = {m.id: m.reason for m in _compare(expected, back, Mode.MIRROR)}
    assert mirror == {
        "changed": "Phoenix holds different content",
        "refused": "Phoenix returned a refused value: number nan is not finite at $.input.q",
        "extra": "in Phoenix but not in the version",
        "missing": "missing in Phoenix",
    }
    # Appending leaves Phoenix's other examples alone: they are no difference.
    assert "extra" not in {m.id for m in _compare(expected, back, Mode.APPEND)}
