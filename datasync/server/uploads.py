"""The streamed upload routes: commit (operations) and snapshot (examples), both NDJSON."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from datasync.errors import ValidationError
from datasync.server.handlers import COMMIT_RESPONSES
from datasync.server.limits import Limits
from datasync.server.ndjson import BodyLines
from datasync.server.routes import DatasetRef
from datasync.store import CommitResult, Store
from datasync.sync import CommitHeader, parse_example, parse_header, parse_operation

__all__ = ["router"]

router = APIRouter(prefix="/v1", responses=COMMIT_RESPONSES)
T = TypeVar("T")

_NDJSON_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "NDJSON (optionally Content-Encoding: gzip): a header object, then one"
        " object per line. See docs/protocol.md.",
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
    }
}


def _records(
    lines: BodyLines, parse: Callable[[object, int], T]
) -> tuple[CommitHeader, Iterator[T]]:
    it = iter(lines)
    first = next(it, None)
    if first is None:
        raise ValidationError("the body is empty: send a header line first", code="bad_header")
    header = parse_header(first[1], first[0])
    return header, (parse(obj, number) for number, obj in it)


async def _upload(
    request: Request, dataset: str, parse: Callable[[object, int], Any], snapshot: bool
) -> JSONResponse:
    store: Store = request.app.state.store
    limits: Limits = request.app.state.limits
    lines = BodyLines(request.stream(), request.headers.get("content-encoding"), limits)

    def work() -> CommitResult:
        header, records = _records(lines, parse)
        if snapshot:
            return store.snapshot(dataset, records, header)
        return store.commit(dataset, records, header, parsed=True)

    result = await anyio.to_thread.run_sync(work)
    return JSONResponse(result.to_wire(), status_code=200 if result.no_op else 201)


@router.post(
    "/datasets/{dataset}/commits",
    operation_id="commit",
    summary="Apply a plan: CREATE/PATCH/DELETE operations on the head, as one new version",
    openapi_extra=_NDJSON_BODY,
    response_model=CommitResult,
    status_code=201,
    responses={200: {"model": CommitResult, "description": "No changes (no_op) or a replay"}},
)
async def commit(dataset: DatasetRef, request: Request) -> JSONResponse:
    return await _upload(request, dataset, parse_operation, snapshot=False)


@router.post(
    "/datasets/{dataset}/snapshot",
    operation_id="snapshot",
    summary="Upsert a full snapshot; the server computes the diff (mirror or append)",
    openapi_extra=_NDJSON_BODY,
    response_model=CommitResult,
    status_code=201,
    responses={200: {"model": CommitResult, "description": "No changes (no_op) or a replay"}},
)
async def snapshot(dataset: DatasetRef, request: Request) -> JSONResponse:
    return await _upload(request, dataset, parse_example, snapshot=True)
