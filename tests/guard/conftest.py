"""Fixtures of the client and server suites, shared: ``store``, ``make_client`` (embedded and
over a live server) and ``start_server``."""

from tests.client.conftest import make_client, store
from tests.server.conftest import start_server

__all__ = ["make_client", "start_server", "store"]
