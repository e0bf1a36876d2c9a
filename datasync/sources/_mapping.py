"""Column mapping: one row (a JSON object) -> one Example, with the source id rules."""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from datasync.errors import SourceError, UsageError
from datasync.sources._example import Example
from datasync.sources._problems import ErrorCollector, duplicate_error

_SURROGATE = re.compile("[\ud800-\udfff]")
_PARTS = ("input", "output", "metadata")
_MISSING = object()

#: What readers yield: ``(position, row)`` for a row, or a SourceError for bad data.
Record = tuple[int, Any] | SourceError
SourceIdFn = Callable[[Mapping[str, Any]], Any]


def _keys(name: str, keys: Sequence[str] | None) -> tuple[str, ...] | None:
    if keys is None:
        return None
    if isinstance(keys, str):
        keys = [k.strip() for k in keys.split(",") if k.strip()]
    if not all(isinstance(k, str) and k for k in keys):
        raise UsageError(f"{name} must be non-empty strings, not {keys!r}", code="bad_option")
    return tuple(keys)


@dataclass(frozen=True)
class ColumnMapping:
    """How rows become examples (see docs/sources.md, "Column mapping").

    Shaped rows (no ``*_keys`` given) hold ``input`` and optionally ``output`` and ``metadata``
    objects. Flat rows are split: ``input_keys`` (required then), ``output_keys`` and
    ``metadata_keys`` name top-level keys; every other key goes to metadata, or is refused
    with ``strict``. ``source_id_key`` names the id (a dotted path such as ``meta.uid`` walks
    nested objects when no top-level key has that exact name).
    """

    source_id_key: str | None = None
    input_keys: tuple[str, ...] | None = None
    output_keys: tuple[str, ...] | None = None
    metadata_keys: tuple[str, ...] | None = None
    strict: bool = False
    source_id_fn: SourceIdFn | None = None
    #: ``metadata.split`` of every example (``--split-from-filename``: the file's stem)
    split: str | None = None

    @classmethod
    def build(
        cls,
        *,
        source_id_key: str | None = None,
        input_keys: Sequence[str] | None = None,
        output_keys: Sequence[str] | None = None,
        metadata_keys: Sequence[str] | None = None,
        strict: bool = False,
        source_id_fn: SourceIdFn | None = None,
        split: str | None = None,
    ) -> ColumnMapping:
        """Check the options and build a mapping. Raises UsageError for contradictory options."""
        if source_id_key is not None and (not isinstance(source_id_key, str) or not source_id_key):
            raise UsageError("source_id_key must be a non-empty string", code="bad_option")
        if source_id_key is not None and source_id_fn is not None:
            raise UsageError("give source_id_key or source_id_fn, not both", code="bad_option")
        parts = {
            "input_keys": _keys("input_keys", input_keys),
            "output_keys": _keys("output_keys", output_keys),
            "metadata_keys": _keys("metadata_keys", metadata_keys),
        }
        flat = any(v is not None for v in parts.values())
        if flat and parts["input_keys"] is None:
            raise UsageError(
                "input_keys is required to split flat rows (output_keys/metadata_keys given)",
                code="bad_option",
            )
        seen: dict[str, str] = {}
        for name, keys in parts.items():
            for key in keys or ():
                if key in seen:
                    raise UsageError(
                        f"key {key!r} is listed in both {seen[key]} and {name}", code="bad_option"
                    )
                seen[key] = name
        return cls(source_id_key, strict=strict, source_id_fn=source_id_fn, split=split, **parts)

    def to_example(self, row: Any, location: str) -> Example:
        """The Example for ``row``. Raises SourceError (with ``location``) for a bad row."""
        if not isinstance(row, Mapping):
            raise SourceError(
                f"a row must be a JSON object, not {type(row).__name__}",
                code="not_an_object",
                location=location,
            )
        source_id = self._source_id(row, location)
        claimed = {self.source_id_key} if self.source_id_key in row else set()
        if self.input_keys is None:
            input, output, metadata = self._shaped(row, location)
            claimed.update(_PARTS)
        else:
            input = self._pick(row, self.input_keys, location)
            output = self._pick(row, self.output_keys or (), location)
            metadata = self._pick(row, self.metadata_keys or (), location)
            claimed.update(self.input_keys, self.output_keys or (), self.metadata_keys or ())
        rest = {k: v for k, v in row.items() if k not in claimed}
        if rest:
            metadata = self._merge_rest(metadata, rest, location)
        if self.split is not None:
            metadata = self._with_split(metadata, location)
        return Example(source_id, input, output, metadata, location)

    def _with_split(self, metadata: dict[str, Any], location: str) -> dict[str, Any]:
        """``metadata`` with ``split`` set from the file name; a different split is refused."""
        held = metadata.get("split", self.split)
        if held != self.split:
            raise SourceError(
                f"metadata.split is {held!r} but the file name says {self.split!r}"
                " (--split-from-filename); drop one of them",
                code="split_conflict",
                location=location,
                details={"path": "$.metadata.split"},
            )
        return {**metadata, "split": self.split}

    def _source_id(self, row: Mapping[str, Any], location: str) -> str | None:
        if self.source_id_fn is not None:
            return normalize_source_id(self.source_id_fn(row), location, "source_id_fn")
        key = self.source_id_key
        if key is None:
            return None
        value = row.get(key, _MISSING)
        if value is _MISSING and "." in key:
            value = row
            for part in key.split("."):
                value = value.get(part, _MISSING) if isinstance(value, Mapping) else _MISSING
        if value is _MISSING:
            raise SourceError(
                f"no source id: the row has no key {key!r}",
                code="missing_source_id",
                location=location,
            )
        return normalize_source_id(value, location, repr(key))

    def _shaped(
        self, row: Mapping[str, Any], location: str
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        if "input" not in row:
            raise SourceError(
                "the row has no 'input' object (pass input_keys to split flat rows)",
                code="missing_key",
                location=location,
            )
        parts = []
        for name in _PARTS:
            value = row.get(name)
            if value is None and name != "input":
                value = {}
            if not isinstance(value, Mapping):
                raise SourceError(
                    f"{name} must be a JSON object, not {type(value).__name__}",
                    code="not_an_object",
                    location=location,
                    details={"path": f"$.{name}"},
                )
            parts.append(dict(value))
        return parts[0], parts[1], parts[2]

    def _pick(self, row: Mapping[str, Any], keys: Iterable[str], location: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in keys:
            if key in row:
                out[key] = row[key]
            elif self.strict:
                raise SourceError(
                    f"the row has no key {key!r}", code="missing_key", location=location
                )
        return out

    def _merge_rest(
        self, metadata: dict[str, Any], rest: dict[str, Any], location: str
    ) -> dict[str, Any]:
        if self.strict:
            raise SourceError(
                f"unexpected key(s) {', '.join(map(repr, rest))} (strict mapping)",
                code="unexpected_key",
                location=location,
            )
        clash = [k for k in rest if k in metadata]
        if clash:
            raise SourceError(
                f"key {clash[0]!r} is both a column and a metadata key",
                code="duplicate_key",
                location=location,
                details={"path": f"$.metadata.{clash[0]}"},
            )
        return {**metadata, **rest}


def normalize_source_id(value: Any, location: str, origin: str) -> str:
    """A source id as a non-empty string: ints become decimal strings, the rest is refused."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, str):
        if not value:
            raise SourceError(
                f"empty source id (from {origin})", code="empty_source_id", location=location
            )
        if not value.isascii() and _SURROGATE.search(value):
            raise SourceError(
                f"source id (from {origin}) holds a lone UTF-16 surrogate",
                code="invalid_source_id",
                location=location,
            )
        return str(value)
    if value is None:
        raise SourceError(
            f"source id (from {origin}) is null", code="missing_source_id", location=location
        )
    raise SourceError(
        f"source id (from {origin}) must be a string or an integer, not {type(value).__name__}",
        code="invalid_source_id",
        location=location,
    )


class SourceGate:
    """Error collection and duplicate-id detection for one source, by position.

    Examples pass until the first error; reading then goes on only to collect up to
    ``max_errors`` errors (0: no limit). Duplicate ids are reported by :meth:`finish`, all at
    once, each with every location (only ids and positions are kept, never bodies).
    """

    def __init__(self, max_errors: int, location_of: Callable[[int], str]) -> None:
        self.errors = ErrorCollector(max_errors)
        self.location_of = location_of
        self.first_seen: dict[str, int] = {}
        self.duplicates: dict[str, list[int]] = {}

    def error(self, error: SourceError) -> None:
        """Record a bad record (raises once ``max_errors`` are held)."""
        self.errors.add(error)

    def admit(self, source_id: str | None, position: int) -> bool:
        """Record ``source_id`` at ``position``; True if its example may be yielded."""
        if source_id is not None:
            first = self.first_seen.setdefault(source_id, position)
            if first != position:
                self.duplicates.setdefault(source_id, [first]).append(position)
                return False
        return not self.errors.errors and not self.duplicates

    def finish(self) -> None:
        """Raise the collected errors and duplicates, if any."""
        if self.duplicates:
            listed = {sid: [self.location_of(p) for p in ps] for sid, ps in self.duplicates.items()}
            self.errors.add(duplicate_error(listed))
        self.errors.finish()


def examples_from_records(
    records: Iterable[Record],
    mapping: ColumnMapping,
    location_of: Callable[[int], str],
    max_errors: int,
) -> Iterator[Example]:
    """Map records to examples through a :class:`SourceGate` (errors, duplicate ids)."""
    gate = SourceGate(max_errors, location_of)
    for record in records:
        if isinstance(record, SourceError):
            gate.error(record)
            continue
        position, row = record
        try:
            example = mapping.to_example(row, location_of(position))
        except SourceError as exc:
            gate.error(exc)
            continue
        if gate.admit(example.source_id, position):
            yield example
    gate.finish()
