"""The streamed upload routes: commit (operations) and snapshot (examples), both NDJSON."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from datasync.errors import ValidationError
from datasync.server.decoding import Decoder
from datasync.server.handlers import COMMIT_RESPONSES
from datasync.server.limits import Limits
from datasync.server.ndjson import BodyLines, parse_line
from datasync.server.routes import DatasetRef
from datasync.server.strict import StrictRoute
from datasync.store import CommitResult, Store
from datasync.sync import CommitHeader, parse_example, parse_header

__all__ = ["router"]

log = logging.getLogger("datasync.server")

router = APIRouter(prefix="/v1", route_class=StrictRoute, responses=COMMIT_RESPONSES)

_NDJSON_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "NDJSON (optionally Content-Encoding: gzip): a header object, then one"
        " object per line. See docs/protocol.md.",
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
    }
}


def _header(lines: Iterator[tuple[int, bytes]]) -> CommitHeader:
    first = next(lines, None)
    if first is None:
        raise ValidationError("the body is empty: send a header line first", code="bad_header")
    number, raw = first
    return parse_header(parse_line(number, raw), number)


async def _upload(request: Request, dataset: str, snapshot: bool) -> JSONResponse:
    store: Store = request.app.state.store
    limits: Limits = request.app.state.limits
    decoder: Decoder = request.app.state.decoder
    lines = BodyLines(request.stream(), request.headers.get("content-encoding"), limits)

    def work() -> CommitResult:
        numbered = lines.numbered()
        header = _header(numbered)
        if snapshot:
            items = (parse_example(parse_line(n, raw), n) for n, raw in numbered)
            return store.snapshot(dataset, items, header)
        return store.commit(dataset, decoder.operations(numbered), header)

    try:
        result = await anyio.to_thread.run_sync(work)
    except ClientDisconnect:
        # Nothing was written and nobody waits for an answer: a line in the log, no traceback.
        log.info(
            "%s %s: the client went away after %d bytes of the body; nothing was written",
            request.method,
            request.url.path,
            lines.bytes_received,
        )
        return JSONResponse({}, status_code=400)
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
    return await _upload(request, dataset, snapshot=False)


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
    return await _upload(request, dataset, snapshot=True)
