"""The pages over HTTP without a browser (a live server over SQLite and PostgreSQL): markup in
the data is escaped, a keyed server redirects to sign-in and its cookie is what it should be,
the sign-in form refuses other sites, and the docs need nothing from another host."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from datasync.server.ui.session import LIFETIME, new_session, valid_session
from datasync.store import Store, open_store
from datasync.sync import ExampleData
from tests.client.conftest import serve

KEY = "page-key"
MARKUP = "<script>alert(1)</script>"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    opened.snapshot("qa", [ExampleData("a", {"q": "x"}), ExampleData(MARKUP, {"q": MARKUP})])
    opened.snapshot("qa", [ExampleData("a", {"q": MARKUP}, {"ok": True})])
    yield opened
    opened.close()


@pytest.fixture
def open_http(store: Store) -> Iterator[httpx.Client]:
    url, stop = serve(store)
    with httpx.Client(base_url=url, timeout=30) as client:
        yield client
    stop()


@pytest.fixture
def keyed_http(store: Store) -> Iterator[httpx.Client]:
    url, stop = serve(store, api_key=KEY)
    with httpx.Client(base_url=url, timeout=30) as client:
        yield client
    stop()


def test_markup_in_names_ids_and_values_is_escaped(open_http: httpx.Client, store: Store) -> None:
    versions = [v.id for v in store.list_versions("qa").items]
    for path in (
        "/datasets/qa",
        f"/datasets/qa?version={versions[1]}",
        f"/datasets/qa/diff/{versions[1]}/{versions[0]}",
    ):
        page = open_http.get(path)
        assert page.status_code == 200, path
        assert "<script>alert" not in page.text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text, path


def test_an_open_server_serves_pages_without_a_key(open_http: httpx.Client) -> None:
    assert open_http.get("/").status_code == 200
    assert open_http.get("/signin").status_code == 303  # nothing to sign in to


def test_a_keyed_server_redirects_every_page_to_sign_in(keyed_http: httpx.Client) -> None:
    for path in (
        "/",
        "/datasets/qa",
        "/datasets/qa/diff/1/2",
        "/experiments/1",
        "/experiments/compare/1/2",
    ):
        page = keyed_http.get(path)
        assert page.status_code == 303, path
        assert page.headers["location"].startswith("/signin?next="), path
        assert "qa" not in page.text
    assert keyed_http.get("/", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200


def test_sign_in_sets_a_signed_http_only_strict_cookie(keyed_http: httpx.Client) -> None:
    form = {"key": KEY, "next": "/datasets/qa"}
    wrong = keyed_http.post("/signin", data={**form, "key": "nope"})
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
    right = keyed_http.post("/signin", data=form)
    assert right.status_code == 303 and right.headers["location"] == "/datasets/qa"
    cookie = right.headers["set-cookie"]
    assert re.search(r"HttpOnly", cookie) and re.search(r"SameSite=strict", cookie, re.I)
    assert f"Max-Age={LIFETIME}" in cookie and "Path=/" in cookie
    assert keyed_http.get("/datasets/qa").status_code == 200  # the client kept the cookie
    keyed_http.cookies.set("datasync_session", "1999999999.x.forged")
    assert keyed_http.get("/datasets/qa").status_code == 303
    out = keyed_http.post("/signout")
    assert out.status_code == 303 and 'datasync_session=""' in out.headers["set-cookie"]


def test_sign_in_refuses_other_sites_and_foreign_redirects(keyed_http: httpx.Client) -> None:
    form = {"key": KEY, "next": "/"}
    other = keyed_http.post("/signin", data=form, headers={"Origin": "https://evil.example"})
    assert other.status_code == 403 and "set-cookie" not in other.headers
    as_json = keyed_http.post("/signin", json=form)
    assert as_json.status_code == 415 and "set-cookie" not in as_json.headers
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        page = keyed_http.post("/signin", data={"key": KEY, "next": target})
        assert page.headers["location"] == "/", target


def test_a_session_is_bound_to_the_key_and_expires() -> None:
    now = time.time()
    value = new_session(KEY, now)
    assert valid_session(KEY, value, now + LIFETIME - 1)
    assert not valid_session(KEY, value, now + LIFETIME + 1)
    assert not valid_session("another-key", value, now)
    expires, nonce, signature = value.split(".")
    assert not valid_session(KEY, f"{int(expires) + 3600}.{nonce}.{signature}", now)
    assert not valid_session(KEY, "garbage", now)


def test_docs_need_nothing_from_another_host(open_http: httpx.Client) -> None:
    for docs in ("/docs", "/redoc"):
        page = open_http.get(docs).text
        assets = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert assets and all(a.startswith("/") for a in assets), (docs, assets)
        for asset in assets:
            assert open_http.get(asset).status_code == 200, asset


def test_the_notebook_example_in_docs_ui_runs(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "ui.md").read_text(encoding="utf-8")
    block = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    code = re.sub(r'store="/tmp/[^"]+"', f'store="{tmp_path / "s.sqlite"}"', block)
    exec(compile(code, "docs/ui.md", "exec"), {"__name__": "docs"})
