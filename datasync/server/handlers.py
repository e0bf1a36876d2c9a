"""Every error leaves the server as ``{"error": {"kind", "code", "message", "details"}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from datasync.errors import (
    AuthError,
    DatasyncError,
    NotFoundError,
    TooLargeError,
    UsageError,
    ValidationError,
)
from datasync.server.models import ErrorBody

__all__ = ["ERROR_RESPONSES", "install_error_handlers"]

log = logging.getLogger("datasync.server")


def _response(exc: DatasyncError) -> JSONResponse:
    return JSONResponse(exc.to_wire(), status_code=exc.http_status)


def _describe(status: int, text: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": text}


#: The documented error responses of every authenticated route.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _describe(400, "Bad request (usage)"),
    401: _describe(401, "Missing or wrong API key"),
    404: _describe(404, "No such dataset or version"),
    413: _describe(413, "Body or example over a limit"),
    422: _describe(422, "Invalid request or data (validation, hash_mismatch, canonical)"),
}
COMMIT_RESPONSES = {**ERROR_RESPONSES, 409: _describe(409, "The base version is not the head")}


def _from_http(exc: HTTPException) -> DatasyncError:
    if exc.status_code == 404:
        return NotFoundError("no such route", code="no_route")
    if exc.status_code == 401:
        return AuthError(str(exc.detail))
    if exc.status_code == 413:
        return TooLargeError(str(exc.detail))
    if exc.status_code == 405:
        return UsageError("method not allowed on this route", code="method_not_allowed")
    return UsageError(str(exc.detail), code=f"http_{exc.status_code}")


def install_error_handlers(app: FastAPI) -> None:
    """Map datasync errors, FastAPI validation errors and stray HTTP errors to the wire form."""

    async def datasync_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DatasyncError)
        return _response(exc)

    async def request_invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        where = "; ".join(f"{'.'.join(p['loc'])}: {p['msg']}" for p in problems[:5])
        return _response(
            ValidationError(
                f"invalid request: {where}", code="invalid_request", details={"problems": problems}
            )
        )

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return _response(_from_http(exc))

    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected server error", exc_info=exc)
        return _response(
            DatasyncError("internal server error; see the server log", code="internal")
        )

    app.add_exception_handler(DatasyncError, datasync_error)
    app.add_exception_handler(RequestValidationError, request_invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
