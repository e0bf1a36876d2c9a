"""Failures of remote locations are typed errors, never tracebacks: real local servers
(HTTP answering 403/404 or never answering, a closed port, moto's S3 without credentials), and
``datasync push --json`` prints the error object. Each case is bounded in time."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from datasync.cli import main
from datasync.errors import SourceError
from datasync.sources import open_source
from datasync.sources._failures import public_url


class _Handler(http.server.BaseHTTPRequestHandler):
    """``/forbidden`` 403, ``/private`` 401, ``/slow`` answers after 5 s, anything else 404."""

    def do_GET(self) -> None:
        if self.path.startswith("/slow"):
            time.sleep(5)
        status = 404
        if self.path.startswith("/forbidden"):
            status = 403
        elif self.path.startswith("/private"):
            status = 401
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_base() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def failure(uri: str, **options: Any) -> SourceError:
    started = time.monotonic()
    with pytest.raises(SourceError) as info:
        list(open_source(uri, source_id_key="id", **options))
    assert time.monotonic() - started < 30
    return info.value


def test_http_403_and_401_are_source_auth(http_base: str) -> None:
    for path in ("forbidden/qa.jsonl", "private"):
        err = failure(f"{http_base}/{path}", format="jsonl")
        assert err.code == "source_auth", err
        assert err.location == f"{http_base}/{path}"


def test_http_404_is_source_not_found(http_base: str) -> None:
    err = failure(f"{http_base}/missing.jsonl")
    assert (err.code, err.location) == ("source_not_found", f"{http_base}/missing.jsonl")


def test_a_refused_connection_is_source_unreachable_not_a_missing_file() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    err = failure(f"http://127.0.0.1:{port}/qa.jsonl")
    assert err.code == "source_unreachable", err
    assert "ConnectionRefused" in err.message or "Connector" in err.message


def test_a_server_that_does_not_answer_is_source_timeout(http_base: str) -> None:
    import aiohttp

    timeout = {"client_kwargs": {"timeout": aiohttp.ClientTimeout(total=1)}}
    err = failure(f"{http_base}/slow.jsonl", **timeout)
    assert err.code == "source_timeout", err


def test_credentials_never_show_in_the_location(http_base: str) -> None:
    host = http_base.removeprefix("http://")
    err = failure(f"http://alice:s3cret@{host}/forbidden/qa.jsonl?token=abc")
    assert err.code == "source_auth"
    assert err.location == f"{http_base}/forbidden/qa.jsonl"
    assert "s3cret" not in str(err) and "abc" not in str(err)
    assert public_url("s3://key:secret@bucket/k.jsonl") == "s3://bucket/k.jsonl"
    assert public_url("data/qa.jsonl") == "data/qa.jsonl"


@pytest.fixture
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_s3_without_credentials_is_source_auth(
    no_aws_credentials: None, s3_endpoint: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    options = {
        "client_kwargs": {"endpoint_url": s3_endpoint, "region_name": "us-east-1"},
        "skip_instance_cache": True,
    }
    err = failure("s3://data/qa.jsonl", **options)
    assert (err.code, err.location) == ("source_auth", "s3://data/qa.jsonl"), err
    assert "NoCredentials" in err.message


def test_push_json_prints_the_error_object_for_a_location_failure(
    http_base: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = tmp_path / "s.sqlite"
    code = main(
        ["push", f"{http_base}/forbidden/qa.jsonl", "--dataset", "qa", "--store", str(store),
         "--json"]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1
    error = json.loads(captured.out)["error"]
    assert (error["kind"], error["code"]) == ("source", "source_auth")
    assert error["details"]["location"] == f"{http_base}/forbidden/qa.jsonl"
    assert "Traceback" not in captured.err
