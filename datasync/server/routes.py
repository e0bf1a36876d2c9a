"""Routes for datasets, versions and reading a version (no SQL: everything goes to Store)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from datasync.canonical import loads_strict
from datasync.errors import CanonicalError, ValidationError
from datasync.server.handlers import ERROR_RESPONSES
from datasync.server.models import (
    DatasetCreate,
    DatasetPage,
    DatasetRename,
    DiffPageOut,
    DigestsOut,
    DigestsRequest,
    EntriesOut,
    EntriesRequest,
    ExamplePage,
    SummaryOut,
    VersionPage,
)
from datasync.server.strict import Digits, StrictRoute
from datasync.server.tag_query import tag_query
from datasync.store import DatasetInfo, DeletedDataset, Store, VersionInfo, checked_id, is_id_text

__all__ = ["router"]

router = APIRouter(prefix="/v1", route_class=StrictRoute, responses=ERROR_RESPONSES)

DatasetRef = Annotated[str, Path(description="dataset name, or its numeric id")]
VersionRef = Annotated[str, Path(description="a version id, or 'head'")]
Limit = Annotated[Digits, Query(ge=1, le=1000, description="items per page")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def parse_version(version: str) -> int | None:
    """``'head'`` -> None, ASCII digits -> the id; raises :class:`ValidationError` otherwise
    (``bad_version``; ``invalid_id`` beyond 64 bits)."""
    if version == "head":
        return None
    if is_id_text(version):
        return checked_id(version, "a version id")
    raise ValidationError(f"version must be an id or 'head', not {version!r}", code="bad_version")


def metadata_query(request: Request) -> dict[str, Any]:
    """``metadata.KEY=VALUE`` query parameters; a VALUE that is JSON (``3``, ``true``,
    ``"3"``) is that value, anything else is a string."""
    wanted: dict[str, Any] = {}
    for name, raw in request.query_params.multi_items():
        if not name.startswith("metadata."):
            continue
        try:
            value = loads_strict(raw)
        except CanonicalError:
            value = raw
        if isinstance(value, dict | list):
            value = raw
        wanted[name.removeprefix("metadata.")] = value
    return wanted


@router.post(
    "/datasets",
    operation_id="createDataset",
    summary="Create an empty dataset",
    status_code=201,
    response_model=DatasetInfo,
    responses={409: {"description": "A dataset with this name exists"}},
)
def create_dataset(body: DatasetCreate, request: Request) -> JSONResponse:
    info = _store(request).create_dataset(body.name, body.description, body.tags)
    return JSONResponse(info.to_wire(), status_code=201)


@router.get(
    "/datasets",
    operation_id="listDatasets",
    summary="List datasets (paged by id); filter with tag.KEY=VALUE, has_tag=KEY",
    response_model=DatasetPage,
)
def list_datasets(request: Request, limit: Limit = 100, cursor: Cursor = None) -> JSONResponse:
    page = _store(request).list_datasets(limit, cursor, tags=tag_query(request))
    return JSONResponse(
        {"items": [d.to_wire() for d in page.items], "next_cursor": page.next_cursor}
    )


@router.get(
    "/datasets/{dataset}",
    operation_id="getDataset",
    summary="Get a dataset",
    response_model=DatasetInfo,
)
def get_dataset(dataset: DatasetRef, request: Request) -> JSONResponse:
    return JSONResponse(_store(request).get_dataset(dataset).to_wire())


@router.delete(
    "/datasets/{dataset}",
    operation_id="deleteDataset",
    summary="Delete a dataset with all its versions (and, with force, its experiments)",
    response_model=DeletedDataset,
    responses={
        404: {"description": "No such dataset"},
        409: {"description": "Experiments use the dataset (dataset_in_use); pass force=true"},
    },
)
def delete_dataset(dataset: DatasetRef, request: Request, force: bool = False) -> JSONResponse:
    return JSONResponse(_store(request).delete_dataset(dataset, force=force).to_wire())


@router.patch(
    "/datasets/{dataset}",
    operation_id="renameDataset",
    summary="Rename a dataset (versions, tags, history and experiments follow)",
    response_model=DatasetInfo,
    responses={
        404: {"description": "No such dataset"},
        409: {"description": "A dataset with the new name exists (dataset_exists)"},
    },
)
def rename_dataset(dataset: DatasetRef, body: DatasetRename, request: Request) -> JSONResponse:
    return JSONResponse(_store(request).rename_dataset(dataset, body.name).to_wire())


@router.get(
    "/datasets/{dataset}/versions",
    operation_id="listVersions",
    summary="List versions, newest first; filter with tag.KEY=VALUE, has_tag=KEY",
    response_model=VersionPage,
)
def list_versions(
    dataset: DatasetRef, request: Request, limit: Limit = 100, cursor: Cursor = None
) -> JSONResponse:
    page = _store(request).list_versions(dataset, limit, cursor, tags=tag_query(request))
    return JSONResponse(
        {"items": [v.to_wire() for v in page.items], "next_cursor": page.next_cursor}
    )


@router.get(
    "/datasets/{dataset}/versions/{version}",
    operation_id="getVersion",
    summary="Get a version (or the head)",
    response_model=VersionInfo,
)
def get_version(dataset: DatasetRef, version: VersionRef, request: Request) -> JSONResponse:
    return JSONResponse(_store(request).get_version(dataset, parse_version(version)).to_wire())


@router.get(
    "/datasets/{dataset}/versions/{version}/summary",
    operation_id="getSummary",
    summary="Manifest summary: 2**bits bucket digests and the root",
    response_model=SummaryOut,
)
def get_summary(
    dataset: DatasetRef,
    version: VersionRef,
    request: Request,
    bits: Annotated[Digits, Query(ge=0, le=16, description="level: 2**bits buckets")] = 8,
    digest_chars: Annotated[
        Digits, Query(ge=8, le=32, description="leading hex chars of each bucket digest")
    ] = 32,
) -> JSONResponse:
    summary = _store(request).get_summary(dataset, parse_version(version), bits)
    wire = summary.to_wire()
    wire["digests"] = [d[:digest_chars] for d in summary.digests]
    return JSONResponse(wire)


@router.post(
    "/datasets/{dataset}/versions/{version}/digests",
    operation_id="getBucketDigests",
    summary="Digests of chosen nodes of the bucket tree",
    response_model=DigestsOut,
)
def bucket_digests(
    dataset: DatasetRef, version: VersionRef, body: DigestsRequest, request: Request
) -> JSONResponse:
    nodes = body.node_list()
    digests = _store(request).bucket_digests(dataset, parse_version(version), body.bits, nodes)
    n = body.digest_chars
    return JSONResponse({"bits": body.bits, "digests": [digests[i][:n] for i in nodes]})


@router.post(
    "/datasets/{dataset}/versions/{version}/entries",
    operation_id="getBucketEntries",
    summary="The (source_id, hash) entries of chosen nodes",
    response_model=EntriesOut,
)
def bucket_entries(
    dataset: DatasetRef, version: VersionRef, body: EntriesRequest, request: Request
) -> JSONResponse:
    nodes = body.node_list()
    entries = _store(request).bucket_entries(dataset, parse_version(version), body.bits, nodes)
    n = body.hash_chars
    return JSONResponse({"entries": [[e.source_id, e.hash[:n]] for e in entries]})


@router.get(
    "/datasets/{dataset}/versions/{version}/manifest",
    operation_id="streamManifest",
    summary="The whole manifest as NDJSON lines [source_id, hash], by source id",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def stream_manifest(
    dataset: DatasetRef, version: VersionRef, request: Request
) -> StreamingResponse:
    store = _store(request)
    version_id = parse_version(version)
    store.get_summary(dataset, version_id, 0)  # 404 before the stream starts

    def lines() -> Iterator[bytes]:
        batch: list[str] = []
        for entry in store.iter_manifest(dataset, version_id):
            batch.append(json.dumps([entry.source_id, entry.hash], ensure_ascii=False))
            if len(batch) >= 2000:
                yield ("\n".join(batch) + "\n").encode()
                batch = []
        if batch:
            yield ("\n".join(batch) + "\n").encode()

    return StreamingResponse(lines(), media_type="application/x-ndjson")


@router.get(
    "/datasets/{dataset}/versions/{version}/examples",
    operation_id="listExamples",
    summary="Examples of a version by source id (paged); filter with metadata.KEY=VALUE",
    response_model=ExamplePage,
)
def list_examples(
    dataset: DatasetRef,
    version: VersionRef,
    request: Request,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> JSONResponse:
    page = _store(request).iter_examples(
        dataset,
        parse_version(version),
        metadata=metadata_query(request),
        limit=limit,
        cursor=cursor,
    )
    return JSONResponse(
        {"items": [e.to_wire() for e in page.items], "next_cursor": page.next_cursor}
    )


@router.get(
    "/datasets/{dataset}/versions/{version}/diff/{other}",
    operation_id="diffVersions",
    summary="What changed from one version to another: created, deleted, and patched"
    " examples with every changed field (paged by source id)",
    response_model=DiffPageOut,
)
def diff_versions(
    dataset: DatasetRef,
    version: VersionRef,
    other: Annotated[str, Path(description="the version to compare with, or 'head'")],
    request: Request,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> JSONResponse:
    page = _store(request).diff_versions(
        dataset, parse_version(version), parse_version(other), limit=limit, cursor=cursor
    )
    return JSONResponse(page.to_wire())
