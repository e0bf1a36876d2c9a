"""Fixtures of the store-facing commands: ``target`` points a command at the test store,
embedded (``--store``) or through a live server (``--server``); ``run`` invokes it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from datasync.cli import main
from datasync.store import Store, open_store
from tests.client.conftest import serve


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    yield opened
    opened.close()


@pytest.fixture(params=["store", "server"])
def target(request: pytest.FixtureRequest, store_url: str, store: Store) -> Iterator[list[str]]:
    """Options that point a command at the test store, embedded or through a live server."""
    if request.param == "store":
        yield ["--store", store_url]
        return
    url, stop = serve(store)
    yield ["--server", url]
    stop()


Run = Callable[..., tuple[int, Any]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], target: list[str]) -> Run:
    def invoke(*argv: str, as_json: bool = True) -> tuple[int, Any]:
        code = main([*argv, *target, *(["--json"] if as_json else [])])
        out = capsys.readouterr().out
        return code, json.loads(out) if as_json and out.strip() else out

    return invoke


def write(path: Path, data: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in data))
    return path
