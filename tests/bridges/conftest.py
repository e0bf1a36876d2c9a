"""A real Phoenix for the bridge tests: one server for the session (auth on), installed into
its own cached virtualenv on first use (see phoenix_server.py), and helpers that ask the
Phoenix install itself: its client, its content-hash function, its SQLite file."""

from __future__ import annotations

import base64
import json
import math
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.bridges.phoenix_server import PhoenixServer, ensure_phoenix, phoenix_server
from tests.cli.conftest import run, store, target

__all__ = ["run", "store", "target"]  # the CLI fixtures: embedded store or live server

#: Prepended to the scripts run in Phoenix's venv. ``phoenix/__init__.py`` loads the server's
#: whole stack (~10 s of CPU a process); an empty parent package lets Python load only the
#: modules a script uses (Phoenix's own files, unchanged).
_LIGHT_PHOENIX = r"""
import importlib.util, sys, types
_spec = importlib.util.find_spec("phoenix")
_pkg = types.ModuleType("phoenix")
_pkg.__path__ = list(_spec.submodule_search_locations)
sys.modules["phoenix"] = _pkg
"""

#: Runs in Phoenix's venv: its own client creates a dataset from JSON examples on stdin.
_CREATE_WITH_PHOENIX_CLIENT = r"""
import json, sys
from phoenix.client import Client
url, key, name = sys.argv[1:4]
examples = json.load(sys.stdin)
dataset = Client(base_url=url, api_key=key).datasets.create_dataset(
    name=name, examples=examples, timeout=600
)
print(json.dumps({"id": dataset.id, "version_id": dataset.version_id, "count": len(dataset)}))
"""

#: Runs in Phoenix's venv: Phoenix's own content hash of each JSONL row on stdin.
_PHOENIX_HASHES = r"""
import json, sys
from phoenix.utilities.content_hashing import compute_example_content_hash
for line in sys.stdin:
    row = json.loads(line)
    digest = compute_example_content_hash(
        input=row["input"], output=row["output"], metadata=row["metadata"]
    )
    print(digest.hex())
"""


@pytest.fixture(scope="session")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhoenixServer]:
    """A Phoenix server on 127.0.0.1 for the whole session; its key is ``api_key``."""
    python = ensure_phoenix()
    with phoenix_server(python, tmp_path_factory.mktemp("phoenix")) as server:
        yield server


@pytest.fixture
def name() -> str:
    """A dataset name no other test uses (one Phoenix serves the session)."""
    return f"qa-{uuid.uuid4().hex[:10]}"


def run_in_phoenix(server: PhoenixServer, script: str, *args: str, stdin: str) -> str:
    done = subprocess.run(
        [str(server.python), "-c", _LIGHT_PHOENIX + script, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def create_with_phoenix_client(
    server: PhoenixServer, name: str, examples: list[dict[str, Any]]
) -> dict[str, Any]:
    """Create a Phoenix dataset with Phoenix's own Python client (as a Phoenix user does)."""
    out = run_in_phoenix(
        server,
        _CREATE_WITH_PHOENIX_CLIENT,
        server.url,
        server.api_key or "",
        name,
        stdin=json.dumps(examples),
    )
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def phoenix_hashes(server: PhoenixServer, rows: list[dict[str, Any]]) -> list[str]:
    """Phoenix's own ``compute_example_content_hash`` of each row, run in Phoenix's venv."""
    lines = "".join(json.dumps(r) + "\n" for r in rows)
    return run_in_phoenix(server, _PHOENIX_HASHES, stdin=lines).split()


def node_id(number: int) -> str:
    return base64.b64encode(f"DatasetExample:{number}".encode()).decode()


def stored_hashes(server: PhoenixServer, dataset: str) -> dict[str, str]:
    """``{id: content_hash}`` of the dataset's newest version, read from Phoenix's own SQLite
    file: the hash Phoenix computed and stored when it received each example."""
    query = """
        SELECT e.id, e.external_id, r.content_hash
        FROM dataset_example_revisions r
        JOIN dataset_examples e ON e.id = r.dataset_example_id
        JOIN datasets d ON d.id = e.dataset_id
        WHERE d.name = ? AND r.revision_kind != 'DELETE' AND r.id IN (
            SELECT max(id) FROM dataset_example_revisions GROUP BY dataset_example_id
        )
    """
    with sqlite3.connect(f"file:{server.database}?mode=ro", uri=True) as db:
        rows = db.execute(query, (dataset,)).fetchall()
    return {(ext or node_id(rowid)): bytes(digest).hex() for rowid, ext, digest in rows}


def phoenix_version_count(server: PhoenixServer, dataset: str) -> int:
    with sqlite3.connect(f"file:{server.database}?mode=ro", uri=True) as db:
        (count,) = db.execute(
            "SELECT count(*) FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id"
            " WHERE d.name = ?",
            (dataset,),
        ).fetchone()
    return int(count)


_TEXTS = [
    "naïve café",
    "日本語のテキスト",
    "emoji 🦊🚀 and ZWJ 👩‍👩‍👧",
    "RTL עברית العربية",
    "combining e\u0301 vs \u00e9",
    'quotes " \\ and control \u0001 \t \n',
    "",
    "\u2028 line separator \u2029",
]
#: Numbers whose canonical form is not Python's repr (JCS: ECMAScript Number.toString).
#: (No integer beyond 64 bits: Phoenix cannot store one, see test_phoenix_export.py.)
_NUMBERS = [2**53, 2**60, 2**63, -(2**63), -0.0, 1e21, 1e-7, 5e-324, 1.7976931348623157e308]
_FLOATS = [0.1, 1e-7, 1e21, 1.5e300, 5e-324, -2.5, 123456.789, 1 / 3, 2.0**-1074 * 3]


def varied_rows(n: int, *, ids: bool = True) -> list[dict[str, Any]]:
    """``n`` examples holding unicode, floats and nested values (deterministic)."""
    rows = []
    for i in range(n):
        text = _TEXTS[i % len(_TEXTS)]
        number = _FLOATS[i % len(_FLOATS)] * (1 + i / 1000)
        row: dict[str, Any] = {
            "input": {
                "question": f"{text} #{i}",
                "context": [{"rank": k, "score": number / (k + 1)} for k in range(i % 4)],
            },
            "output": {"answer": text[::-1], "confidence": round(math.sin(i), 12)},
            "metadata": {
                "split": ["train", "test", "dev"][i % 3],
                "nested": {"deep": {"deeper": [i, [i * 0.5, {"x": None, "t": True}]]}},
                "number": _NUMBERS[i % len(_NUMBERS)] if i % 7 == 0 else i,
            },
        }
        if ids:
            row["id"] = f"ex-{i:05d}"
        rows.append(row)
    return rows
