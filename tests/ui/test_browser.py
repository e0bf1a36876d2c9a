"""The pages in a real browser (Debian's chromium through Playwright) against a real
``datasync serve`` on SQLite and PostgreSQL: every page loads without console errors and
without asking anything of another host, shows the names and values it should, its links
navigate, markup in the data stays text, a narrow window needs no sideways scrolling, and a
key-protected server shows no data before sign-in and shows it after."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import API_KEY, SCRIPT, Served

pytestmark = pytest.mark.browser


class Tab:
    """One browser page that records console errors, page errors and foreign requests."""

    def __init__(self, browser: Any, base: str, width: int = 1200) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.base = base
        self.problems: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning")
                else None
            ),
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on(
            "dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss())
        )
        self.page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith(base) or r.url.startswith("data:")
                else self.problems.append(f"request to another host: {r.url}")
            ),
        )

    def go(self, path: str) -> Any:
        response = self.page.goto(self.base + path)
        self.page.wait_for_load_state("load")
        return response

    def text(self) -> str:
        return str(self.page.inner_text("body"))

    def shot(self, where: Path, name: str) -> None:
        self.page.screenshot(path=str(where / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser: Any, open_server: Served) -> Iterator[Tab]:
    opened = Tab(browser, open_server.url)
    yield opened
    opened.close()


def test_every_page_renders_its_data_and_links_navigate(
    tab: Tab, open_server: Served, screenshots: Path
) -> None:
    s = open_server
    # / : datasets with head version, count and tags; the tag filter
    tab.go("/")
    body = tab.text()
    assert "calc" in body and "env=prod" in body and "9" in body
    tab.shot(screenshots, "datasets")
    tab.page.fill("#tag", "env=nope")
    tab.page.click("text=filter")
    tab.page.wait_for_load_state("load")
    assert "no datasets with that tag" in tab.text()
    tab.go("/?tag=env%3Dprod")
    tab.page.click("a:text-is('calc')")
    tab.page.wait_for_url(re.compile(r"/datasets/calc$"))

    # /datasets/NAME : versions, examples of the head, the filter, the search, experiments
    body = tab.text()
    assert "first" in body and "fix q3" in body and "calc-a" in body and "calc-b" in body
    assert SCRIPT in body  # the example holding markup is shown as text
    tab.shot(screenshots, "dataset")
    tab.page.fill("#where", "split=test")
    tab.page.click("button:text('show')")
    tab.page.wait_for_load_state("load")
    shown = tab.page.locator("table").nth(1).inner_text()
    assert "q1" in shown and "q3" in shown and "q2" not in shown
    tab.go(f"/datasets/calc?version={s.v1}&id=q7")
    shown = tab.page.locator("table").nth(1).inner_text()
    assert "q7" in shown and "q6" not in shown and '"14"' in shown

    # dataset -> version -> diff with the previous
    tab.go("/datasets/calc")
    tab.page.click(f"text=diff with {s.v1}")
    tab.page.wait_for_url(re.compile(rf"/datasets/calc/diff/{s.v1}/{s.v2}$"))
    row = tab.page.locator("tr.change", has_text="$.output.answer")
    assert row.locator("td.old").inner_text().strip() == '"6"'
    assert row.locator("td.new").inner_text().strip() == '"six"'
    body = tab.text()
    assert "1 created" in body and "1 patched" in body and "0 deleted" in body
    assert "q0" not in body  # unchanged examples are not listed
    assert SCRIPT in body
    tab.shot(screenshots, "diff")

    # dataset -> its experiments -> an experiment -> compare
    tab.go("/datasets/calc")
    tab.page.click("a:text-is('calc-a')")
    tab.page.wait_for_url(re.compile(rf"/experiments/{s.exp_a}$"))
    body = tab.text()
    assert f"calc@{s.v1}" in body and "correct" in body and "code:" in body
    assert "q6" in body and '{"answer": "6"}' in body  # input, expected, output of a run
    tab.shot(screenshots, "experiment")
    tab.page.click(f"a[href='/experiments/compare/{s.exp_a}/{s.exp_b}']")
    tab.page.wait_for_url(re.compile(rf"/experiments/compare/{s.exp_a}/{s.exp_b}$"))
    body = tab.text()
    assert "calc-a" in body and "calc-b" in body and "better" in body
    assert tab.page.locator("svg.score-chart").count() == 1
    assert "correct" in tab.page.locator("svg.score-chart").inner_html()
    tab.shot(screenshots, "compare")

    # the compare form on the dataset page leads to the same page
    tab.go("/datasets/calc")
    tab.page.select_option("#a", str(s.exp_a))
    tab.page.select_option("#b", str(s.exp_b))
    tab.page.click("button:text('compare')")
    tab.page.wait_for_url(re.compile(rf"/experiments/compare/{s.exp_a}/{s.exp_b}$"))

    # OpenAPI docs, with every asset from this server
    tab.go("/docs")
    tab.page.wait_for_selector(".swagger-ui .information-container", timeout=20_000)
    assert "datasync" in tab.text() and "diffVersions" in tab.page.content()
    tab.shot(screenshots, "docs")

    assert tab.page.evaluate("window.pwned") is None
    assert tab.problems == []


def test_a_narrow_window_needs_no_sideways_scrolling(browser: Any, open_server: Served) -> None:
    s = open_server
    phone = Tab(browser, s.url, width=390)
    try:
        for path in (
            "/",
            "/datasets/calc",
            f"/datasets/calc/diff/{s.v1}/{s.v2}",
            f"/experiments/{s.exp_b}",
            f"/experiments/compare/{s.exp_a}/{s.exp_b}",
        ):
            phone.go(path)
            width = phone.page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
        assert phone.problems == []
    finally:
        phone.close()


def test_missing_things_are_error_pages(tab: Tab) -> None:
    response = tab.go("/datasets/nope")
    assert response.status == 404 and "dataset_not_found" in tab.text()
    response = tab.go("/datasets/calc/diff/1/999999")
    assert response.status == 404 and "version_not_found" in tab.text()
    response = tab.go("/experiments/999999")
    assert response.status == 404 and "experiment_not_found" in tab.text()
    # a 404 page logs the failed load in the console; nothing else may be there
    assert all("404" in p for p in tab.problems), tab.problems


def test_a_keyed_server_shows_nothing_before_sign_in(
    browser: Any, keyed_server: Served, screenshots: Path
) -> None:
    s = keyed_server
    tab = Tab(browser, s.url)
    try:
        for path in (
            "/",
            "/datasets/calc",
            f"/datasets/calc/diff/{s.v1}/{s.v2}",
            f"/experiments/{s.exp_a}",
            f"/experiments/compare/{s.exp_a}/{s.exp_b}",
        ):
            tab.go(path)
            assert "/signin" in tab.page.url, path
            body = tab.text()
            assert "calc" not in body and "q3" not in body and "six" not in body, path
        tab.shot(screenshots, "signin")
        # the API refuses without the key, too
        api = tab.context.request.get(f"{s.url}/v1/datasets")
        assert api.status == 401
        # a wrong key: still nothing
        tab.page.fill("#key", "not-the-key")
        tab.page.click("button:text('sign in')")
        tab.page.wait_for_load_state("load")
        assert "not one of this server's API keys" in tab.text() and "six" not in tab.text()
        # the right key: back to the page asked for, with its data
        tab.page.fill("#key", API_KEY)
        tab.page.click("button:text('sign in')")
        tab.page.wait_for_url(re.compile(rf"/experiments/compare/{s.exp_a}/{s.exp_b}$"))
        assert "calc-a" in tab.text() and tab.page.locator("svg.score-chart").count() == 1
        cookie = next(c for c in tab.context.cookies() if c["name"] == "datasync_session")
        assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
        assert cookie["expires"] > 0  # a session with an end
        assert tab.page.evaluate("document.cookie") == ""  # no script can read it
        tab.go(f"/datasets/calc/diff/{s.v1}/{s.v2}")
        assert '"six"' in tab.text()
        # sign out: the data is gone again
        tab.page.click("button:text('sign out')")
        tab.page.wait_for_url(re.compile(r"/signin$"))
        tab.go("/datasets/calc")
        assert "/signin" in tab.page.url and "q3" not in tab.text()
        assert [p for p in tab.problems if "401" not in p] == []
    finally:
        tab.close()
