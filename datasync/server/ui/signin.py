"""``/signin`` (the form, and the key it posts) and ``/signout``; see :mod:`.session`."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from datasync.server.ui.pages import templates
from datasync.server.ui.session import COOKIE, LIFETIME, matching_key, new_session, server_keys

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_FORM = "application/x-www-form-urlencoded"


def _next(target: str | None) -> str:
    """A path on this server to go to after sign-in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _form(request: Request, next_url: str, error: str | None, status: int) -> Response:
    context = {"title": "sign in", "next_url": next_url, "error": error, "signed_in": False}
    return templates.TemplateResponse(request, "signin.html", context, status_code=status)


def _same_origin(request: Request) -> bool:
    """A browser's POST names its page's origin; it must be this server (no other site may
    post the form). Clients that send no Origin (curl) are not browsers on another site."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, next: str = "/") -> Response:
    if not server_keys(request):
        return RedirectResponse(_next(next), status_code=303)
    return _form(request, _next(next), None, 200)


@router.post("/signin", response_class=HTMLResponse)
async def signin(request: Request) -> Response:
    keys = server_keys(request)
    if not keys:
        return RedirectResponse("/", status_code=303)
    if not _same_origin(request):
        return _form(request, "/", "sign in from this server's own page", 403)
    if request.headers.get("content-type", "").split(";")[0].strip() != _FORM:
        return _form(request, "/", "the sign-in form posts a form", 415)
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    target = _next((fields.get("next") or ["/"])[0])
    api_key = matching_key(keys, (fields.get("key") or [""])[0])
    if api_key is None:
        return _form(request, target, "that key is not one of this server's API keys", 401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        new_session(api_key),
        max_age=LIFETIME,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/signout")
def signout(request: Request) -> Response:
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
