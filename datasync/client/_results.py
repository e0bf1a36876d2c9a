"""What the client hands back: :class:`Dataset`, :class:`ChangeSummary`, :class:`Diff`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from datasync._render import table
from datasync.client._backend import Backend
from datasync.client._tags import TaggedDataset
from datasync.errors import DeleteGuardError
from datasync.store import DiffPage, VersionInfo
from datasync.sync import ChangeKind, ExampleChange, ExampleData, Mode, Plan

__all__ = ["ChangeSummary", "Dataset", "Diff", "Transfer", "VersionDiff"]

#: Examples a notebook view shows.
_PREVIEW = 10


@dataclass(frozen=True, slots=True)
class ChangeSummary:
    """Examples created, patched, deleted and left unchanged by a version (or a plan)."""

    created: int = 0
    patched: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def added(self) -> int:
        """``created`` by the name the Phoenix plan's summary uses."""
        return self.created

    @property
    def updated(self) -> int:
        """``patched`` by the name the Phoenix plan's summary uses."""
        return self.patched

    @classmethod
    def of_plan(cls, plan: Plan) -> ChangeSummary:
        return cls(plan.created, plan.patched, plan.deleted, plan.unchanged)

    def to_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "patched": self.patched,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
        }


@dataclass(frozen=True, slots=True)
class Transfer:
    """What one operation cost: bytes on the wire (0 for the embedded store) and seconds."""

    bytes_sent: int = 0
    bytes_received: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Dataset(TaggedDataset):
    """One version of a dataset, as a push or a lookup left it.

    ``version_id`` is ``None`` for a dataset that has no version yet. After a push,
    ``summary`` says what the push did, ``base_version_id`` what it was planned against,
    ``no_op`` whether nothing changed (no new version), and ``transfer`` what it cost; after
    :meth:`DatasetsAPI.get_dataset`, ``summary`` holds the version's counts against its parent.
    Tags: ``tags``, ``add_tags``, ``remove_tags``, ``replace_tags`` (the dataset's) and
    ``version_tags``, ``add_version_tags``, ``remove_version_tags`` (this version's).
    """

    id: int
    name: str
    version_id: int | None
    summary: ChangeSummary
    base_version_id: int | None = None
    no_op: bool = False
    total: int = 0
    transfer: Transfer = field(default_factory=Transfer)
    _backend: Backend | None = field(default=None, repr=False, compare=False)

    def examples(
        self, where: Mapping[str, Any] | None = None, page_size: int = 500
    ) -> Iterator[ExampleData]:
        """Every example of this version, by source id, exactly as stored.

        ``where``: only examples whose metadata holds each ``key: value``. Pages are fetched
        lazily. Raises :class:`NotFoundError` if the dataset is gone.
        """
        if self._backend is None or self.version_id is None:
            return
        cursor: str | None = None
        while True:
            page = self._backend.iter_examples(self.id, self.version_id, where, page_size, cursor)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def _repr_html_(self) -> str:
        """A notebook's view: the version's counts and its first examples."""
        s = self.summary
        caption = (
            f"dataset {self.name} version {self.version_id}: {self.total} examples"
            f" (+{s.created} ~{s.patched} -{s.deleted} ={s.unchanged})"
        )
        rows: list[tuple[Any, ...]] = []
        if self._backend is not None and self.version_id is not None:
            page = self._backend.iter_examples(self.id, self.version_id, None, _PREVIEW, None)
            rows = [(e.source_id, e.input, e.output, e.metadata) for e in page.items]
        if self.total > len(rows):
            rows.append((f"… {self.total - len(rows)} more", None, None, None))
        return table(("id", "input", "output", "metadata"), rows, caption)

    def to_pandas(self, where: Mapping[str, Any] | None = None) -> Any:
        """This version as a pandas DataFrame: one row per example, columns ``id``,
        ``input``, ``output``, ``metadata``. Raises :class:`~datasync.errors.MissingExtraError`
        without pandas."""
        from datasync.client._frames import pandas_frame

        return pandas_frame(self.examples(where))

    def to_arrow(self, where: Mapping[str, Any] | None = None) -> Any:
        """This version as a pyarrow Table (``input``, ``output``, ``metadata`` as structs)."""
        from datasync.client._frames import arrow_table

        return arrow_table(self.examples(where))

    def to_polars(self, where: Mapping[str, Any] | None = None) -> Any:
        """This version as a polars DataFrame (``input``, ``output``, ``metadata`` as
        structs). Raises :class:`~datasync.errors.MissingExtraError` without polars."""
        from datasync.client._frames import polars_frame

        return polars_frame(self.examples(where))


@dataclass(frozen=True)
class Diff:
    """A plan that was not applied: what a push of these examples would change."""

    dataset: str | int
    dataset_id: int | None
    base_version_id: int | None
    mode: Mode
    plan: Plan
    transfer: Transfer = field(default_factory=Transfer)
    #: The mass-delete guard's refusal the push would meet (``None``: it would pass).
    guard: DeleteGuardError | None = None

    @property
    def summary(self) -> ChangeSummary:
        return ChangeSummary.of_plan(self.plan)

    @property
    def is_empty(self) -> bool:
        """True when a push would change nothing."""
        return self.plan.is_empty

    def ids(self, kind: ChangeKind) -> list[str]:
        """The source ids a push would ``kind`` (create, patch, delete), by source id."""
        return self.plan.ids(kind)


@dataclass(frozen=True)
class VersionDiff:
    """What changed from version ``a`` to version ``b`` of a dataset, read from the store.

    ``summary``: created (only in B), patched, deleted (only in A) and unchanged examples.
    Iterating (or :meth:`changes`) yields every :class:`ExampleChange` by source id, fetching
    pages lazily; a PATCH lists its changed fields (JSON path, old and new value).
    """

    dataset: str | int
    a: VersionInfo
    b: VersionInfo
    summary: ChangeSummary
    _first: DiffPage = field(repr=False, compare=False)
    _backend: Backend = field(repr=False, compare=False)
    _pinned: tuple[int, int] = field(default=(0, 0), repr=False, compare=False)
    _page_size: int = field(default=500, repr=False, compare=False)

    @classmethod
    def of(
        cls,
        dataset: str | int,
        versions: tuple[int | None, int | None],
        first: DiffPage,
        backend: Backend,
        page_size: int,
    ) -> VersionDiff:
        created, patched = first.created or 0, first.patched or 0
        summary = ChangeSummary(
            created, patched, first.deleted or 0, first.b.total - created - patched
        )
        # "head" is pinned to the version the first page read, so later pages stay on it.
        a, b = versions
        pinned = (first.a.id if a is None else a, first.b.id if b is None else b)
        return cls(dataset, first.a, first.b, summary, first, backend, pinned, page_size)

    @property
    def is_empty(self) -> bool:
        """True when the two versions hold the same examples with the same content."""
        s = self.summary
        return s.created == s.patched == s.deleted == 0

    def changes(self, kind: ChangeKind | None = None) -> Iterator[ExampleChange]:
        """Every changed example (of ``kind`` if given), by source id."""
        page = self._first
        while True:
            yield from (c for c in page.items if kind is None or c.kind is kind)
            if page.next_cursor is None:
                return
            a, b = self._pinned
            page = self._backend.diff_versions(
                self.a.dataset_id, a, b, self._page_size, page.next_cursor
            )

    def __iter__(self) -> Iterator[ExampleChange]:
        return self.changes()

    def ids(self, kind: ChangeKind) -> list[str]:
        """The source ids of ``kind`` (create, patch, delete), by source id."""
        return [c.source_id for c in self.changes(kind)]
