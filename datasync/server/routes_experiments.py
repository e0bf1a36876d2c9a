"""Routes for experiments, their runs and evaluations (no SQL: everything goes to Store).

Running the task and the reuse rule happen on the client; the server records what the client
sends (checking that every run names an example of the pinned version) and reads it back.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from datasync.errors import ValidationError
from datasync.server.handlers import ERROR_RESPONSES
from datasync.server.strict import BodyId, Digits, PathId, StrictRoute
from datasync.server.tag_query import tag_query
from datasync.store import Store
from datasync.sync.experiment_records import EvaluationRecord, ExperimentInfo, RunRecord

__all__ = ["router"]

router = APIRouter(prefix="/v1", route_class=StrictRoute, responses=ERROR_RESPONSES)

ExperimentId = Annotated[PathId, Path(description="the experiment id")]
Limit = Annotated[Digits, Query(ge=1, le=1000, description="items per page")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The experiment is finished (experiment_finished)"}
}


class ExperimentCreate(BaseModel):
    dataset: str = Field(description="dataset name or id")
    version_id: BodyId | None = Field(default=None, description="the pinned version (null: head)")
    name: str
    task_fingerprint: str = Field(description="version:<v> or code:<hash> (docs/experiments.md)")
    evaluators: dict[str, str] = Field(default_factory=dict, description="name -> fingerprint")
    tags: dict[str, str] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    reused_from_id: BodyId | None = Field(default=None, description="the experiment reused from")


class EvaluationIn(BaseModel):
    name: str
    score: float | None = Field(default=None, allow_inf_nan=False)
    label: str | None = None
    explanation: str | None = None
    error: str | None = None
    seen_hash: str = ""
    reused: bool = False


class RunIn(BaseModel):
    source_id: str
    content_hash: str
    seen_hash: str
    output: Any = None
    error: str | None = None
    latency_seconds: float | None = Field(default=None, allow_inf_nan=False)
    started_at: str | None = None
    ended_at: str | None = None
    reused_from: BodyId | None = None
    evaluations: list[EvaluationIn] = Field(default_factory=list)


class RunsIn(BaseModel):
    runs: list[RunIn] = Field(max_length=10_000)


class SourceEvaluationIn(EvaluationIn):
    source_id: str


class EvaluationsIn(BaseModel):
    evaluations: list[SourceEvaluationIn] = Field(max_length=100_000)


class FinishIn(BaseModel):
    status: str = Field(default="complete", description="complete or interrupted")


class Written(BaseModel):
    written: int


class ExperimentPage(BaseModel):
    items: list[ExperimentInfo]
    next_cursor: str | None


class RunPage(BaseModel):
    items: list[RunRecord]
    next_cursor: str | None


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _run(body: RunIn) -> RunRecord:
    try:
        return RunRecord.from_wire(body.model_dump())
    except ValueError as exc:  # a timestamp that is not ISO 8601
        raise ValidationError(f"run {body.source_id!r}: {exc}", code="invalid_request") from None


@router.post(
    "/experiments",
    operation_id="createExperiment",
    summary="Start an experiment on a pinned dataset version",
    status_code=201,
    response_model=ExperimentInfo,
)
def create_experiment(body: ExperimentCreate, request: Request) -> JSONResponse:
    info = _store(request).create_experiment(
        body.dataset,
        body.version_id,
        body.name,
        body.task_fingerprint,
        body.evaluators,
        body.tags,
        body.metadata,
        body.reused_from_id,
    )
    return JSONResponse(info.to_wire(), status_code=201)


@router.get(
    "/experiments",
    operation_id="listExperiments",
    summary="List experiments, newest first; filter by dataset, name, tag.KEY=VALUE, has_tag",
    response_model=ExperimentPage,
)
def list_experiments(
    request: Request,
    dataset: Annotated[str | None, Query(description="dataset name or id")] = None,
    name: Annotated[str | None, Query(description="experiment name")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> JSONResponse:
    page = _store(request).list_experiments(
        dataset=dataset, name=name, tags=tag_query(request), limit=limit, cursor=cursor
    )
    return JSONResponse(
        {"items": [e.to_wire() for e in page.items], "next_cursor": page.next_cursor}
    )


@router.get(
    "/experiments/{experiment_id}",
    operation_id="getExperiment",
    summary="Get an experiment with its counts and score aggregates",
    response_model=ExperimentInfo,
)
def get_experiment(experiment_id: ExperimentId, request: Request) -> JSONResponse:
    return JSONResponse(_store(request).get_experiment(experiment_id).to_wire())


@router.post(
    "/experiments/{experiment_id}/finish",
    operation_id="finishExperiment",
    summary="Mark an experiment complete or interrupted",
    response_model=ExperimentInfo,
)
def finish_experiment(
    experiment_id: ExperimentId, body: FinishIn, request: Request
) -> JSONResponse:
    return JSONResponse(_store(request).finish_experiment(experiment_id, body.status).to_wire())


@router.get(
    "/experiments/{experiment_id}/runs",
    operation_id="listRuns",
    summary="Runs of an experiment by source id (paged), each with its evaluations",
    response_model=RunPage,
)
def list_runs(
    experiment_id: ExperimentId, request: Request, limit: Limit = 100, cursor: Cursor = None
) -> JSONResponse:
    page = _store(request).list_runs(experiment_id, limit, cursor)
    return JSONResponse(
        {"items": [r.to_wire() for r in page.items], "next_cursor": page.next_cursor}
    )


@router.post(
    "/experiments/{experiment_id}/runs",
    operation_id="recordRuns",
    summary="Record (or replace) runs and their evaluations",
    response_model=Written,
    responses=_CONFLICT,
)
def record_runs(experiment_id: ExperimentId, body: RunsIn, request: Request) -> JSONResponse:
    written = _store(request).record_runs(experiment_id, [_run(r) for r in body.runs])
    return JSONResponse({"written": written})


@router.post(
    "/experiments/{experiment_id}/evaluations",
    operation_id="recordEvaluations",
    summary="Record (or replace) evaluations of recorded runs",
    response_model=Written,
    responses=_CONFLICT,
)
def record_evaluations(
    experiment_id: ExperimentId, body: EvaluationsIn, request: Request
) -> JSONResponse:
    items = [
        (e.source_id, EvaluationRecord.from_wire(e.model_dump(exclude={"source_id"})))
        for e in body.evaluations
    ]
    return JSONResponse({"written": _store(request).record_evaluations(experiment_id, items)})
