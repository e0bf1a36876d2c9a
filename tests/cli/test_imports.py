"""A command imports only what it runs: `import datasync` is cheap, and `datasync push` loads
neither the server nor the other commands."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
from datasync.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
names = ("datasync", "fastapi", "uvicorn", "sqlalchemy")
print(json.dumps(sorted(m for m in sys.modules if m.startswith(names))))
"""


def modules_after(argv: list[str]) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_import_datasync_loads_no_client_and_no_store() -> None:
    code = (
        "import sys, datasync; names = ('datasync.client', 'datasync.store', 'sqlalchemy');"
        " print(sorted(m for m in sys.modules if m.startswith(names)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_public_names_resolve_on_first_use() -> None:
    import datasync
    from datasync.client import Client

    assert datasync.Client is Client
    assert len(datasync.content_hash({"q": 1})) == 64


def test_push_imports_only_its_own_command_and_no_server() -> None:
    loaded = modules_after(["push", "--help"])
    assert "datasync.cli.push" in loaded
    commands = {
        m for m in loaded if m.startswith("datasync.cli.") and not m.startswith("datasync.cli._")
    }
    assert commands == {"datasync.cli.push"}
    assert not any(m.startswith(("fastapi", "uvicorn", "datasync.server")) for m in loaded)


def test_help_without_a_command_still_lists_every_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "datasync", "--help"], capture_output=True, text=True, check=True
    )
    for name in ("push", "pull", "serve", "experiments", "db"):
        assert name in out.stdout


def test_a_client_of_a_server_loads_no_database_library() -> None:
    code = (
        "import sys; from datasync.client import Client; import datasync.cli.push;"
        " Client(base_url='http://127.0.0.1:9').close();"
        " names = ('sqlalchemy', 'alembic', 'psycopg', 'datasync.store.store');"
        " print(sorted(m for m in sys.modules if m.startswith(names)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
