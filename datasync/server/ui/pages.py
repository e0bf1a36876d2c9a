"""The pages ``datasync serve`` renders: datasets, a dataset's versions and examples, a version
diff, an experiment, two experiments compared. GET only, read-only, no SQL (the Store reads),
Jinja2 templates with autoescaping on (every value is text, whatever it holds).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from datasync._render import COLORS, score_charts, short_json
from datasync.canonical import loads_strict
from datasync.errors import CanonicalError, DatasyncError, NotFoundError, UsageError
from datasync.server.ui.session import allowed, server_keys
from datasync.store import Store, VersionInfo
from datasync.sync import ChangeKind, parse_tag_filter
from datasync.sync.experiment_compare import compare_runs
from datasync.sync.experiment_records import ExperimentInfo, RunRecord

__all__ = ["router", "templates"]

router = APIRouter(include_in_schema=False)

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
templates = Jinja2Templates(env=_ENV)
_EXAMPLES_PAGE = 50
_RUNS_PAGE = 100
_COMPARE_PAGE = 100


def _json(value: Any) -> str:
    """JSON text for a cell: on one line when short, else indented."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else json.dumps(value, ensure_ascii=False, indent=1)


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


_ENV.filters.update(json=_json, short=short_json, when=_when, score=_score)
_ENV.globals.update(colors=COLORS)


def version_label(version: VersionInfo) -> int:
    """The version as ``datasync log`` shows it (and the store's functions take it)."""
    return version.id


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _render(
    request: Request, page: Callable[[Store], tuple[str, dict[str, Any]] | Response]
) -> Response:
    """Sign-in check, then the page; a DatasyncError becomes an error page with its status."""
    if not allowed(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/signin?" + urlencode({"next": target}), status_code=303)
    try:
        made = page(_store(request))
    except DatasyncError as exc:
        context = {"title": "error", "error": exc, "signed_in": _signed_in(request)}
        return templates.TemplateResponse(
            request, "error.html", context, status_code=exc.http_status
        )
    if isinstance(made, Response):
        return made
    name, context = made
    context.setdefault("signed_in", _signed_in(request))
    return templates.TemplateResponse(request, name, context)


def _signed_in(request: Request) -> bool:
    return bool(server_keys(request))


def _version_param(value: str | None) -> int | None:
    if value in (None, "", "head"):
        return None
    if value.isascii() and value.isdigit():
        return int(value)
    raise UsageError(f"version must be a number or head, not {value!r}", code="bad_version")


def _where(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` filters; a VALUE that is a JSON scalar is that value, else a string."""
    out: dict[str, Any] = {}
    for pair in pairs:
        if not pair.strip():
            continue
        key, sep, raw = pair.strip().partition("=")
        if not sep or not key:
            raise UsageError(f"a filter is KEY=VALUE, not {pair!r}", code="bad_filter")
        try:
            value = loads_strict(raw)
        except CanonicalError:
            value = raw
        out[key] = raw if isinstance(value, dict | list) else value
    return out


def _tag_pairs(pairs: list[str]) -> dict[str, str | None]:
    wanted: dict[str, str | None] = {}
    for pair in pairs:
        if pair.strip():
            key, sep, value = pair.strip().partition("=")
            wanted[key] = value if sep else None
    return parse_tag_filter(wanted)


# --- datasets ----------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def datasets_page(request: Request, cursor: str | None = None) -> Response:
    tags = request.query_params.getlist("tag")

    def page(store: Store) -> tuple[str, dict[str, Any]]:
        listing = store.list_datasets(100, cursor, tags=_tag_pairs(tags))
        rows = []
        for info in listing.items:
            head = store.get_version(info.id) if info.head_version_id is not None else None
            rows.append({"info": info, "head": head})
        next_url = None
        if listing.next_cursor:
            next_url = "/?" + urlencode(
                [("tag", t) for t in tags] + [("cursor", listing.next_cursor)]
            )
        return "datasets.html", {
            "title": "datasets",
            "rows": rows,
            "tags": " ".join(tags),
            "tag_list": tags,
            "next_url": next_url,
            "label": version_label,
        }

    return _render(request, page)


@router.get("/datasets/{name}", response_class=HTMLResponse)
def dataset_page(
    request: Request,
    name: str,
    version: str | None = None,
    id: str = "",
    cursor: str | None = None,
    versions_cursor: str | None = None,
) -> Response:
    where_pairs = request.query_params.getlist("where")

    def page(store: Store) -> tuple[str, dict[str, Any]]:
        info = store.get_dataset(name)
        listing = store.list_versions(info.id, 100, versions_cursor)
        shown = list(listing.items)
        if listing.next_cursor:  # the version before the last one shown, for its diff link
            shown += store.list_versions(info.id, 1, listing.next_cursor).items
        previous = {
            version_label(v): version_label(shown[i + 1])
            for i, v in enumerate(shown[: len(listing.items)])
            if i + 1 < len(shown)
        }
        shown = list(listing.items)
        selected = _version_param(version)
        current = store.get_version(info.id, selected) if info.head_version_id else None
        where = _where(where_pairs)
        examples = (
            store.search_examples(
                info.id, selected, id, metadata=where, limit=_EXAMPLES_PAGE, cursor=cursor
            )
            if current is not None
            else None
        )
        query = [("version", version or "head"), ("id", id)] + [("where", w) for w in where_pairs]
        next_examples = None
        if examples is not None and examples.next_cursor:
            next_examples = f"?{urlencode([*query, ('cursor', examples.next_cursor)])}"
        older_versions = None
        if listing.next_cursor:
            older_versions = f"?{urlencode([('versions_cursor', listing.next_cursor)])}"
        experiments = store.list_experiments(dataset=info.id, limit=50).items
        return "dataset.html", {
            "title": info.name,
            "info": info,
            "versions": shown,
            "previous": previous,
            "current": current,
            "examples": examples,
            "where": " ".join(where_pairs),
            "id_prefix": id,
            "next_examples": next_examples,
            "older_versions": older_versions,
            "experiments": experiments,
            "label": version_label,
        }

    return _render(request, page)


@router.get("/datasets/{name}/diff/{a}/{b}", response_class=HTMLResponse)
def diff_page(request: Request, name: str, a: str, b: str, cursor: str | None = None) -> Response:
    def page(store: Store) -> tuple[str, dict[str, Any]]:
        info = store.get_dataset(name)
        diff = store.diff_versions(
            info.id, _version_param(a), _version_param(b), limit=100, cursor=cursor
        )
        counts = diff
        if diff.created is None:  # a later page: the counts come with the first
            counts = store.diff_versions(info.id, _version_param(a), _version_param(b), limit=1)
        return "diff.html", {
            "title": f"{info.name}: {a} → {b}",
            "info": info,
            "diff": diff,
            "counts": counts,
            "first_page": cursor is None,
            "next_url": f"?{urlencode([('cursor', diff.next_cursor)])}"
            if diff.next_cursor
            else None,
            "label": version_label,
            "kinds": ChangeKind,
        }

    return _render(request, page)


# --- experiments -------------------------------------------------------------------------


@router.get("/experiments/compare", response_class=HTMLResponse)
def compare_form(request: Request, a: str = "", b: str = "") -> Response:
    def page(store: Store) -> Response:
        if not (a.isascii() and a.isdigit() and b.isascii() and b.isdigit()):
            raise UsageError("pick two experiments (their numbers)", code="bad_option")
        return RedirectResponse(f"/experiments/compare/{int(a)}/{int(b)}", status_code=303)

    return _render(request, page)


def _experiment_id(value: str) -> int:
    if value.isascii() and value.isdigit():
        return int(value)
    raise NotFoundError(f"no experiment {value!r}", code="experiment_not_found")


@router.get("/experiments/{experiment_id}", response_class=HTMLResponse)
def experiment_page(request: Request, experiment_id: str, cursor: str | None = None) -> Response:
    def page(store: Store) -> tuple[str, dict[str, Any]]:
        info = store.get_experiment(_experiment_id(experiment_id))
        runs = store.list_runs(info.id, _RUNS_PAGE, cursor)
        examples = store.examples_by_id(
            info.dataset_id, info.version_id, [r.source_id for r in runs.items]
        )
        others = [
            e
            for e in store.list_experiments(dataset=info.dataset_id, limit=20).items
            if e.id != info.id
        ]
        return "experiment.html", {
            "title": f"experiment {info.id}: {info.name}",
            "exp": info,
            "runs": runs.items,
            "examples": examples,
            "evaluators": sorted(info.scores),
            "others": others,
            "next_url": f"?{urlencode([('cursor', runs.next_cursor)])}"
            if runs.next_cursor
            else None,
        }

    return _render(request, page)


def _all_runs(store: Store, experiment_id: int) -> list[RunRecord]:
    out: list[RunRecord] = []
    cursor: str | None = None
    while True:
        page = store.list_runs(experiment_id, 1000, cursor)
        out.extend(page.items)
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


@router.get("/experiments/compare/{a}/{b}", response_class=HTMLResponse)
def compare_page(request: Request, a: str, b: str, page: int = 1) -> Response:
    def make(store: Store) -> tuple[str, dict[str, Any]]:
        exp_a = store.get_experiment(_experiment_id(a))
        exp_b = store.get_experiment(_experiment_id(b))
        runs_a, runs_b = _all_runs(store, exp_a.id), _all_runs(store, exp_b.id)
        comparison = compare_runs(exp_a.id, runs_a, exp_b.id, runs_b)
        number = max(page, 1)
        rows = comparison.examples[(number - 1) * _COMPARE_PAGE : number * _COMPARE_PAGE]
        labels = (_short_label("A", exp_a), _short_label("B", exp_b))
        more = len(comparison.examples) > number * _COMPARE_PAGE
        return "compare.html", {
            "title": f"compare {exp_a.id} / {exp_b.id}",
            "a": exp_a,
            "b": exp_b,
            "comparison": comparison,
            "rows": rows,
            "outputs_a": {r.source_id: r for r in runs_a},
            "outputs_b": {r.source_id: r for r in runs_b},
            "evaluators": sorted(comparison.evaluators),
            # Markup: score_charts escapes every value it writes into the SVG
            "chart": Markup(score_charts(comparison.scores(), labels)),
            "next_url": f"?page={number + 1}" if more else None,
            "prev_url": f"?page={number - 1}" if number > 1 else None,
        }

    return _render(request, make)


def _short_label(side: str, info: ExperimentInfo) -> str:
    return f"{side} #{info.id}"


def tag_text(tags: Mapping[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(tags.items()))


_ENV.filters["tags"] = tag_text
