"""The HTTP server (FastAPI): routes, auth, limits; no SQL here."""
