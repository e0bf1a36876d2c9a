"""The base install needs no extra: every module a plain install loads imports without
pyarrow, FastAPI, psycopg, zstandard or aiohttp, the README's commands run without them, and a
feature whose extra is missing fails with a MissingExtraError naming it (exit 1, no traceback).

Each check runs in a child interpreter where the extras' modules cannot be imported (a meta
path finder refuses them, as if they were not installed), so a module-level import of an extra
added anywhere the base install reaches makes these tests fail.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import datasync
from datasync._extras import EXTRA_OF
from datasync.errors import DISTRIBUTION, MissingExtraError, error_from_wire

#: Modules that are a feature of an extra themselves (importing them needs it).
NEEDS_AN_EXTRA = ("datasync.server", "datasync.sources._arrow")
#: Run by Alembic only (they read its migration context at import).
NOT_IMPORTABLE_ALONE = ("datasync.store.migrations",)

BLOCK = """
import importlib.abc, sys
BLOCKED = {blocked!r}
class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, NotInstalled())
for name in list(sys.modules):
    if name.split(".")[0] in BLOCKED:
        del sys.modules[name]
"""


def without_extras(
    code: str, *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    script = BLOCK.format(blocked=sorted(EXTRA_OF)) + code
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def cli(argv: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    code = f"import sys\nfrom datasync.cli import main\nsys.exit(main({argv!r}))\n"
    env = {**_env(), "DATASYNC_STORE": str(tmp_path / "store.sqlite")}
    return without_extras(code, cwd=tmp_path, env=env)


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("DATASYNC_")}


def base_modules() -> list[str]:
    root = Path(datasync.__file__).parent
    names = [m.name for m in pkgutil.walk_packages([str(root)], prefix="datasync.")]
    skipped = NEEDS_AN_EXTRA + NOT_IMPORTABLE_ALONE
    return sorted(n for n in names if not n.startswith(skipped))


def test_every_base_module_imports_without_any_extra() -> None:
    modules = base_modules()
    assert "datasync.cli.serve" in modules and "datasync.store.commit" in modules
    code = (
        "import importlib, json\n"
        f"failed = {{}}\nfor name in {modules!r}:\n"
        "    try:\n        importlib.import_module(name)\n"
        "    except ImportError as exc:\n        failed[name] = str(exc)\n"
        "print(json.dumps(failed))\n"
    )
    out = without_extras(code)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {}


def test_the_blocker_itself_refuses_an_extra() -> None:
    out = without_extras("import pyarrow\n")
    assert out.returncode == 1
    assert "No module named 'pyarrow'" in out.stderr


def test_the_readme_commands_run_without_extras(tmp_path: Path) -> None:
    data = tmp_path / "qa.jsonl"
    data.write_text(
        '{"id": "q1", "input": {"q": "2+2?"}, "output": {"a": "4"}}\n'
        '{"id": "q2", "input": {"q": "3+3?"}, "output": {"a": "6"}}\n'
    )
    for argv in (
        ["push", "qa.jsonl", "--dataset", "qa"],
        ["diff", "qa.jsonl", "--dataset", "qa"],
        ["tag", "qa", "env=prod"],
        ["log", "qa"],
        ["ls"],
        ["pull", "qa", "-o", "head.jsonl"],
    ):
        out = cli(argv, tmp_path)
        assert out.returncode == 0, (argv, out.stderr)
    pulled = [json.loads(line) for line in (tmp_path / "head.jsonl").read_text().splitlines()]
    assert [row["id"] for row in pulled] == ["q1", "q2"]
    from datasync.store import open_store

    store = open_store(str(tmp_path / "store.sqlite"))
    try:
        assert [d.name for d in store.list_datasets().items] == ["qa"]
    finally:
        store.close()


def _parquet(tmp_path: Path) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["a"], "input": ["x"]}), tmp_path / "x.parquet")
    return "x.parquet"


def _zst(tmp_path: Path) -> str:
    import zstandard

    (tmp_path / "x.jsonl.zst").write_bytes(zstandard.compress(b'{"id": "a", "input": 1}\n'))
    return "x.jsonl.zst"


@pytest.mark.parametrize(
    ("argv", "extra"),
    [
        (["push", "{parquet}", "--dataset", "p"], "parquet"),
        (["pull", "qa", "-o", "out.parquet"], "parquet"),
        (["push", "{zst}", "--dataset", "z"], "zstd"),
        (["push", "http://127.0.0.1:9/x.jsonl", "--dataset", "h"], "http"),
        (["ls", "--store", "postgresql://postgres@127.0.0.1:5432/test"], "postgres"),
        (["serve", "--port", "0"], "server"),
    ],
)
def test_a_missing_extra_is_named_with_exit_1_and_no_traceback(
    tmp_path: Path, argv: list[str], extra: str
) -> None:
    argv = [a.format(parquet=_parquet(tmp_path), zst=_zst(tmp_path)) for a in argv]
    out = cli(argv, tmp_path)
    assert out.returncode == 1, out.stderr
    assert f"pip install '{DISTRIBUTION}[{extra}]'" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "out.parquet").exists()  # nothing written half-way
    assert not (tmp_path / "store.sqlite").exists() or extra != "postgres"


def test_importing_datasync_and_the_client_needs_no_extra() -> None:
    code = (
        "import datasync\nfrom datasync import Client, MissingExtraError\n"
        "from datasync.sources import open_source\n"
        "try:\n    list(open_source('x.parquet'))\n"
        "except MissingExtraError as exc:\n    print(exc.extra, exc.module)\n"
    )
    out = without_extras(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["parquet", "pyarrow"]


def test_missing_extra_error_crosses_the_wire_unchanged() -> None:
    sent = MissingExtraError("reading Parquet", "parquet", "pyarrow")
    back = error_from_wire(sent.to_wire(), 500)
    assert isinstance(back, MissingExtraError)
    assert (back.extra, back.module, back.code) == ("parquet", "pyarrow", "missing_extra")
    assert str(back) == str(sent)


def test_a_client_pushes_to_a_server_without_any_extra(tmp_path: Path) -> None:
    from datasync.store import open_store
    from tests.client.conftest import serve

    (tmp_path / "qa.jsonl").write_text('{"id": "q1", "input": {"q": 1}}\n')
    store = open_store(str(tmp_path / "server.sqlite"))
    url, stop = serve(store)
    try:
        out = cli(["push", "qa.jsonl", "--dataset", "qa", "--server", url], tmp_path)
        assert out.returncode == 0, out.stderr
        assert [e.source_id for e in store.iter_examples("qa", None, limit=10).items] == ["q1"]
    finally:
        stop()
        store.close()
    assert not (tmp_path / "store.sqlite").exists()  # no embedded store was made
