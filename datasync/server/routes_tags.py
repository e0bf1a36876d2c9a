"""Routes for tags: read, change (add/remove), replace (idempotent PUT) and history.

The same three routes for each kind of object: ``/v1/datasets/{dataset}/tags``,
``/v1/datasets/{dataset}/versions/{version}/tags`` and ``/v1/experiments/{experiment}/tags``;
``GET /v1/datasets/{dataset}/tag-history`` lists the changes. List routes filter with
``tag.KEY=VALUE`` and ``has_tag=KEY`` (``server.tag_query``). No SQL here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from datasync.server.handlers import ERROR_RESPONSES
from datasync.server.routes import Cursor, DatasetRef, VersionRef, parse_version
from datasync.server.strict import Digits, PathId, StrictRoute
from datasync.store import Store

__all__ = ["router"]

router = APIRouter(prefix="/v1", route_class=StrictRoute, responses=ERROR_RESPONSES, tags=["tags"])

ExperimentRef = Annotated[PathId, Path(description="an experiment id")]


class TagsOut(BaseModel):
    tags: dict[str, str] = Field(description="the object's tags after the request")


class TagsReplace(BaseModel):
    tags: dict[str, Any] = Field(description="the whole new map (limits in docs/tags.md)")


class TagsChange(BaseModel):
    add: dict[str, Any] = Field(default_factory=dict, description="keys to set (new or updated)")
    remove: list[Any] = Field(default_factory=list, description="keys to drop (absent: fine)")


class TagChangeOut(BaseModel):
    id: int
    kind: str = Field(description="dataset, version or experiment")
    object_id: int
    dataset_id: int | None
    changed_at: str
    added: dict[str, str]
    removed: list[str]


class TagHistoryPage(BaseModel):
    items: list[TagChangeOut]
    next_cursor: str | None


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _version_id(store: Store, dataset: str, version: str) -> int:
    return store.get_version(dataset, parse_version(version)).id


def _tags(tags: dict[str, str]) -> JSONResponse:
    return JSONResponse({"tags": tags})


@router.get(
    "/datasets/{dataset}/tags",
    operation_id="getDatasetTags",
    summary="The tags of a dataset",
    response_model=TagsOut,
)
def get_dataset_tags(dataset: DatasetRef, request: Request) -> JSONResponse:
    return _tags(_store(request).get_tags("dataset", dataset))


@router.put(
    "/datasets/{dataset}/tags",
    operation_id="replaceDatasetTags",
    summary="Replace a dataset's whole tag map (idempotent)",
    response_model=TagsOut,
)
def replace_dataset_tags(dataset: DatasetRef, body: TagsReplace, request: Request) -> JSONResponse:
    return _tags(_store(request).update_tags("dataset", dataset, replace=body.tags))


@router.patch(
    "/datasets/{dataset}/tags",
    operation_id="changeDatasetTags",
    summary="Add/update and remove some of a dataset's tags",
    response_model=TagsOut,
)
def change_dataset_tags(dataset: DatasetRef, body: TagsChange, request: Request) -> JSONResponse:
    store = _store(request)
    return _tags(store.update_tags("dataset", dataset, add=body.add, remove=body.remove))


@router.get(
    "/datasets/{dataset}/versions/{version}/tags",
    operation_id="getVersionTags",
    summary="The tags of a version (or the head)",
    response_model=TagsOut,
)
def get_version_tags(dataset: DatasetRef, version: VersionRef, request: Request) -> JSONResponse:
    store = _store(request)
    return _tags(store.get_tags("version", _version_id(store, dataset, version), dataset=dataset))


@router.put(
    "/datasets/{dataset}/versions/{version}/tags",
    operation_id="replaceVersionTags",
    summary="Replace a version's whole tag map (idempotent)",
    response_model=TagsOut,
)
def replace_version_tags(
    dataset: DatasetRef, version: VersionRef, body: TagsReplace, request: Request
) -> JSONResponse:
    store = _store(request)
    version_id = _version_id(store, dataset, version)
    return _tags(store.update_tags("version", version_id, replace=body.tags, dataset=dataset))


@router.patch(
    "/datasets/{dataset}/versions/{version}/tags",
    operation_id="changeVersionTags",
    summary="Add/update and remove some of a version's tags",
    response_model=TagsOut,
)
def change_version_tags(
    dataset: DatasetRef, version: VersionRef, body: TagsChange, request: Request
) -> JSONResponse:
    store = _store(request)
    version_id = _version_id(store, dataset, version)
    tags = store.update_tags(
        "version", version_id, add=body.add, remove=body.remove, dataset=dataset
    )
    return _tags(tags)


@router.get(
    "/experiments/{experiment}/tags",
    operation_id="getExperimentTags",
    summary="The tags of an experiment",
    response_model=TagsOut,
)
def get_experiment_tags(experiment: ExperimentRef, request: Request) -> JSONResponse:
    return _tags(_store(request).get_tags("experiment", experiment))


@router.put(
    "/experiments/{experiment}/tags",
    operation_id="replaceExperimentTags",
    summary="Replace an experiment's whole tag map (idempotent)",
    response_model=TagsOut,
)
def replace_experiment_tags(
    experiment: ExperimentRef, body: TagsReplace, request: Request
) -> JSONResponse:
    return _tags(_store(request).update_tags("experiment", experiment, replace=body.tags))


@router.patch(
    "/experiments/{experiment}/tags",
    operation_id="changeExperimentTags",
    summary="Add/update and remove some of an experiment's tags",
    response_model=TagsOut,
)
def change_experiment_tags(
    experiment: ExperimentRef, body: TagsChange, request: Request
) -> JSONResponse:
    store = _store(request)
    return _tags(store.update_tags("experiment", experiment, add=body.add, remove=body.remove))


@router.get(
    "/datasets/{dataset}/tag-history",
    operation_id="listTagHistory",
    summary="Tag changes of a dataset, its versions and experiments, newest first (paged)",
    response_model=TagHistoryPage,
)
def list_tag_history(
    dataset: DatasetRef,
    request: Request,
    kind: Annotated[
        str | None, Query(description="only changes of dataset, version or experiment")
    ] = None,
    limit: Annotated[Digits, Query(ge=1, le=1000, description="items per page")] = 100,
    cursor: Cursor = None,
) -> JSONResponse:
    page = _store(request).tag_history(dataset, kind=kind, limit=limit, cursor=cursor)
    return JSONResponse(
        {"items": [c.to_wire() for c in page.items], "next_cursor": page.next_cursor}
    )
