"""Deploying the server: configuration by environment and flags, API keys from a file, one
log line per request (never the key), the bearer scheme in OpenAPI, several workers only on
PostgreSQL, and the ASGI factory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from datasync._logging import level_for
from datasync.errors import UsageError
from datasync.server import create_app
from datasync.server.config import ServerConfig, read_keys_file
from tests.server.test_cli import free_port

KEYS = "# the team's keys\nalpha-key-1\n\n  beta-key-2  \n"


def start_serve(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """``datasync serve ARGS`` on a free port; its process and URL once it answers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "datasync", "serve", "--port", str(port), *args],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("DATASYNC_")}, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"datasync serve exited: {proc.communicate()[1]}")
        try:
            if httpx.get(f"{url}/v1/health", timeout=5).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("datasync serve did not answer within 60 s")
        time.sleep(0.1)


def stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    proc.terminate()
    try:
        return proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys"
    path.write_text(KEYS)
    return path


def test_serve_reads_db_and_keys_file_from_the_environment_and_logs_each_request(
    tmp_path: Path, keys_file: Path
) -> None:
    db = tmp_path / "served.sqlite"
    proc, url = start_serve([], {"DATASYNC_DB": str(db), "DATASYNC_API_KEYS_FILE": str(keys_file)})
    try:
        for key in ("alpha-key-1", "beta-key-2"):
            got = httpx.get(f"{url}/v1/datasets", headers={"Authorization": f"Bearer {key}"})
            assert got.status_code == 200, got.text
        wrong = httpx.get(f"{url}/v1/datasets?limit=5", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert wrong.json()["error"]["code"] == "invalid_api_key"
        assert httpx.get(f"{url}/v1/datasets").json()["error"]["code"] == "missing_api_key"
    finally:
        out, err = stop(proc)
    assert db.exists()  # DATASYNC_DB chose the store
    assert "2 API key(s)" in out
    lines = [line for line in err.splitlines() if "datasync.server.access" in line]
    requests = [line.split("datasync.server.access: ", 1)[1] for line in lines]
    assert [r.split()[:3] for r in requests if "/v1/datasets" in r] == [
        ["GET", "/v1/datasets", "200"],
        ["GET", "/v1/datasets", "200"],
        ["GET", "/v1/datasets", "401"],
        ["GET", "/v1/datasets", "401"],
    ]
    for request in requests:
        size, ms = request.split()[3:]
        assert size.endswith("B") and int(size[:-1]) > 0
        assert ms.endswith("ms") and float(ms[:-2]) >= 0
    for secret in ("alpha-key-1", "beta-key-2", "nope", "Bearer"):
        assert secret not in err
    assert "limit=5" not in err  # the path only, not the query


def test_serve_quiet_logs_no_request_lines(tmp_path: Path) -> None:
    proc, url = start_serve(["-q", "--db", str(tmp_path / "q.sqlite")], {})
    try:
        assert httpx.get(f"{url}/v1/datasets").status_code == 200
    finally:
        _, err = stop(proc)
    assert "datasync.server.access" not in err


def test_flags_win_over_the_environment(tmp_path: Path, keys_file: Path) -> None:
    other = tmp_path / "other-keys"
    other.write_text("gamma-key-3\n")
    proc, url = start_serve(
        ["--db", str(tmp_path / "flag.sqlite"), "--api-keys-file", str(other)],
        {"DATASYNC_DB": str(tmp_path / "env.sqlite"), "DATASYNC_API_KEYS_FILE": str(keys_file)},
    )
    try:
        ok = httpx.get(f"{url}/v1/datasets", headers={"Authorization": "Bearer gamma-key-3"})
        old = httpx.get(f"{url}/v1/datasets", headers={"Authorization": "Bearer alpha-key-1"})
    finally:
        stop(proc)
    assert (ok.status_code, old.status_code) == (200, 401)
    assert (tmp_path / "flag.sqlite").exists() and not (tmp_path / "env.sqlite").exists()


@pytest.mark.parametrize(
    ("args", "env", "code", "words"),
    [
        (["--workers", "4"], {}, 2, "--workers 4 needs a PostgreSQL store"),
        ([], {"DATASYNC_API_KEYS_FILE": "/nonexistent/keys"}, 2, "cannot read the API keys"),
        ([], {"DATASYNC_API_KEYS_FILE": "{bad}"}, 2, "bad-keys:2: an API key cannot contain"),
        ([], {"DATASYNC_MAX_BODY_MB": "lots"}, 2, "DATASYNC_MAX_BODY_MB must be a whole"),
    ],
)
def test_bad_server_configuration_is_refused_before_serving(
    tmp_path: Path, args: list[str], env: dict[str, str], code: int, words: str
) -> None:
    bad = tmp_path / "bad-keys"
    bad.write_text("good-key\ntwo words\n")
    env = {k: v.format(bad=bad) for k, v in env.items()}
    out = subprocess.run(
        [sys.executable, "-m", "datasync", "serve", "--db", str(tmp_path / "s.sqlite"), *args],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("DATASYNC_")}, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == code, out.stderr
    assert words in out.stderr
    assert "Traceback" not in out.stderr


def test_openapi_declares_the_bearer_scheme_on_authenticated_routes() -> None:
    spec = create_app("sqlite:///:memory:", api_key="k").openapi()
    scheme = spec["components"]["securitySchemes"]["APIKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert spec["paths"]["/v1/datasets"]["get"]["security"] == [{"APIKey": []}]
    assert "security" not in spec["paths"]["/v1/health"]["get"]


def test_keys_file_rules(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(KEYS)
    assert read_keys_file(str(path)) == {"alpha-key-1", "beta-key-2"}
    path.write_text("# only a comment\n\n")
    with pytest.raises(UsageError, match="holds no API key"):
        read_keys_file(str(path))


def test_server_config_from_the_environment(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text("k1\n")
    config = ServerConfig.from_env(
        {
            "DATASYNC_DB": str(tmp_path / "x.sqlite"),
            "DATASYNC_API_KEYS_FILE": str(keys),
            "DATASYNC_API_KEY": "k2",
            "DATASYNC_MAX_EXAMPLE_MB": "3",
        }
    )
    assert config.db == f"sqlite:///{tmp_path / 'x.sqlite'}"
    assert config.api_keys() == {"k1", "k2"}
    assert config.limits.max_example_bytes == 3 * 1024 * 1024
    assert ServerConfig.from_env(config.to_env()) == config


def test_verbosity_steps() -> None:
    import logging

    assert level_for(logging.INFO, 0, 0) == logging.INFO
    assert level_for(logging.INFO, 0, 1) == logging.WARNING
    assert level_for(logging.WARNING, 1, 0) == logging.INFO
    assert level_for(logging.WARNING, 5, 0) == logging.DEBUG
    assert level_for(logging.WARNING, 0, 9) == logging.CRITICAL


def test_swagger_ui_and_its_assets_are_served_by_the_server_itself(tmp_path: Path) -> None:
    from datasync.store import open_store
    from tests.client.conftest import serve

    store = open_store(str(tmp_path / "docs.sqlite"))
    url, stop_server = serve(store, api_key="k")
    try:
        page = httpx.get(f"{url}/docs").text
        script = httpx.get(f"{url}/docs-assets/swagger-ui-bundle.js")
    finally:
        stop_server()
        store.close()
    assert "/docs-assets/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert script.status_code == 200 and len(script.content) > 100_000
