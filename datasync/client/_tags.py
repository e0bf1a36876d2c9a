"""Tags in the client: read, add/update, remove, replace and history.

The mixins give ``client.datasets`` and :class:`~datasync.client.Dataset` their tag methods;
they validate tags here, then call the tag methods of
:class:`~datasync.client._backend.Backend` (the store in-process, or the HTTP routes of
docs/protocol.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from datasync.client._backend import Backend, TagFilter
from datasync.errors import UsageError
from datasync.store import TagChange
from datasync.sync import validate_tag_keys, validate_tags

__all__ = ["DatasetTagsMixin", "TagFilter", "TaggedDataset"]


def _kind(version_id: int | None) -> tuple[str, str | int | None]:
    return ("dataset", None) if version_id is None else ("version", version_id)


class DatasetTagsMixin:
    """Tag methods of ``client.datasets``: without ``version_id`` they act on the dataset's
    own tags, with it on that version's. See docs/tags.md for the limits."""

    _backend: Backend

    def get_tags(self, dataset: str | int, *, version_id: int | None = None) -> dict[str, str]:
        """The tags of the dataset (or of version ``version_id``). Raises
        :class:`NotFoundError`."""
        kind, ref = _kind(version_id)
        return self._backend.get_tags(kind, ref or dataset, dataset)

    def add_tags(
        self, dataset: str | int, tags: Mapping[str, str], *, version_id: int | None = None
    ) -> dict[str, str]:
        """Set ``tags`` (new keys added, existing ones updated); the tags after it. Raises
        :class:`TagError` naming the tag (limits, reserved prefix, over 20 in total)."""
        kind, ref = _kind(version_id)
        clean = validate_tags(tags)
        return self._backend.update_tags(kind, ref or dataset, dataset, add=clean)

    def remove_tags(
        self, dataset: str | int, keys: Iterable[str], *, version_id: int | None = None
    ) -> dict[str, str]:
        """Drop ``keys`` (absent keys are fine); the tags after it. Raises :class:`TagError`."""
        kind, ref = _kind(version_id)
        clean = validate_tag_keys(keys)
        return self._backend.update_tags(kind, ref or dataset, dataset, remove=clean)

    def replace_tags(
        self, dataset: str | int, tags: Mapping[str, str], *, version_id: int | None = None
    ) -> dict[str, str]:
        """Make the tags exactly ``tags`` (idempotent: a retry changes nothing)."""
        kind, ref = _kind(version_id)
        clean = validate_tags(tags)
        return self._backend.update_tags(kind, ref or dataset, dataset, replace=clean)

    def tag_history(self, dataset: str | int, *, kind: str | None = None) -> list[TagChange]:
        """Every tag change of the dataset, its versions and experiments, newest first
        (``kind``: only ``"dataset"``, ``"version"`` or ``"experiment"`` changes)."""
        out: list[TagChange] = []
        cursor: str | None = None
        while True:
            page = self._backend.tag_history(dataset, kind, 500, cursor)
            out.extend(page.items)
            if page.next_cursor is None:
                return out
            cursor = page.next_cursor


class TaggedDataset:
    """Tag methods of a :class:`~datasync.client.Dataset` (read live from the store)."""

    id: int
    version_id: int | None
    _backend: Backend | None

    def _tags(self) -> Backend:
        if self._backend is None:
            raise UsageError("this Dataset is not attached to a store", code="detached")
        return self._backend

    @property
    def tags(self) -> dict[str, str]:
        """The dataset's tags, as the store holds them now."""
        return self._tags().get_tags("dataset", self.id, None)

    def add_tags(self, tags: Mapping[str, str]) -> dict[str, str]:
        """Add or update the dataset's ``tags``; the tags after it (raises :class:`TagError`)."""
        return self._tags().update_tags("dataset", self.id, None, add=validate_tags(tags))

    def remove_tags(self, keys: Iterable[str]) -> dict[str, str]:
        """Drop the dataset's tags ``keys``; the tags after it."""
        return self._tags().update_tags("dataset", self.id, None, remove=validate_tag_keys(keys))

    def replace_tags(self, tags: Mapping[str, str]) -> dict[str, str]:
        """Make the dataset's tags exactly ``tags`` (idempotent)."""
        return self._tags().update_tags("dataset", self.id, None, replace=validate_tags(tags))

    def _version(self) -> int:
        if self.version_id is None:
            raise UsageError("the dataset has no version yet", code="no_versions")
        return self.version_id

    @property
    def version_tags(self) -> dict[str, str]:
        """The tags of this version, as the store holds them now."""
        return self._tags().get_tags("version", self._version(), self.id)

    def add_version_tags(self, tags: Mapping[str, str]) -> dict[str, str]:
        """Add or update tags of this version (e.g. ``{"release": "2026-11"}``)."""
        clean = validate_tags(tags)
        return self._tags().update_tags("version", self._version(), self.id, add=clean)

    def remove_version_tags(self, keys: Iterable[str]) -> dict[str, str]:
        """Drop tags ``keys`` of this version."""
        clean = validate_tag_keys(keys)
        return self._tags().update_tags("version", self._version(), self.id, remove=clean)
