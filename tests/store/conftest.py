"""Store fixtures: an open :class:`Store` on each backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from datasync.store import Store, open_store


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()
