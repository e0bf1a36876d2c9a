"""The protocol page and the README's Server section stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

from datasync.server import create_app
from datasync.store import Store, make_engine
from datasync.sync import LeafTable, bucket_of

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()
README = (ROOT / "README.md").read_text()


def test_every_route_and_operation_id_is_documented(tmp_path: Path) -> None:
    app = create_app(Store(make_engine(str(tmp_path / "s.sqlite"))))
    spec = app.openapi()
    for path, methods in spec["paths"].items():
        short = path.replace("/v1/datasets/{dataset}/versions/{version}", "…/versions/{version}")
        assert path in PROTOCOL or short in PROTOCOL, path
        for operation in methods.values():
            assert f"`{operation['operationId']}`" in PROTOCOL, operation["operationId"]


def test_protocol_vectors_are_what_the_code_computes() -> None:
    table = LeafTable.from_manifest({"ex-1": "a" * 64, "ex-2": "b" * 64})
    assert f"`0x{bucket_of('ex-1'):04x}` = {bucket_of('ex-1')}" in PROTOCOL
    assert table.root() in PROTOCOL
    assert all(d in PROTOCOL for d in table.digests(2).values())
    packed = table.to_bytes().hex()
    assert " ".join([packed[:4], packed[4:36], packed[36:40], packed[40:]]) in PROTOCOL


def test_readme_server_section_python_runs(tmp_path: Path) -> None:
    section = README.split("## Server", 1)[1].split("\n## ", 1)[0]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    code = code.replace("/tmp/readme-store.sqlite", str(tmp_path / "readme.sqlite"))
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md#server", "exec"), namespace)
    assert (tmp_path / "readme.sqlite").exists()
