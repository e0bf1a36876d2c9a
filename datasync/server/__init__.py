"""The HTTP server (FastAPI): routes, auth, limits; no SQL here (everything goes to the store)."""

from datasync._extras import require

require("fastapi", "the datasync server")

from datasync.server.app import create_app  # noqa: E402 - after the check above
from datasync.server.limits import Limits  # noqa: E402

__all__ = ["Limits", "create_app"]
