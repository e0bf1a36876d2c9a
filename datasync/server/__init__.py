"""The HTTP server (FastAPI): routes, auth, limits; no SQL here (everything goes to the store)."""

from datasync.server.app import create_app
from datasync.server.limits import Limits

__all__ = ["Limits", "create_app"]
