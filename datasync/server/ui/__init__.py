"""The web pages of ``datasync serve`` (imported only by the server app: Jinja2 is in the
``server`` extra). :func:`install_ui` adds the pages and the sign-in form; ``/docs`` and its
assets come with the app (fastapi-offline, no CDN).
"""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["install_ui"]


def install_ui(app: FastAPI) -> None:
    """Mount the pages, ``/signin`` and ``/signout`` on ``app``. Raises
    :class:`~datasync.errors.MissingExtraError` without Jinja2 (the ``server`` extra)."""
    from datasync._extras import require

    require("jinja2", "the datasync server's pages")
    from datasync.server.ui import pages, signin

    app.include_router(signin.router)
    app.include_router(pages.router)
