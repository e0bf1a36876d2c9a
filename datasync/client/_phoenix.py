"""Export a dataset version to Arize Phoenix, each example checked by its content hash.

:func:`export_to_phoenix` plans against the Phoenix dataset's newest version (matching
examples as Phoenix's upsert does: by the example id, or by Phoenix's node id when the source
id is one), sends the whole version through Phoenix's own upsert
(``POST /v1/datasets/upload``, ``action=update``; stable example ids, so an unchanged
version makes no Phoenix version — and when the plan is empty nothing is sent at all), then
reads every example back from Phoenix and compares the ``sha256-128`` content hash of what
Phoenix returns with datasync's. That hash is byte for byte what Phoenix stores per example
(``content_hash``); Phoenix does not return it over REST, so it is recomputed from the
returned content.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Final

from datasync.canonical import content_hash, loads_strict
from datasync.client._client import Client
from datasync.client._results import ChangeSummary
from datasync.errors import CanonicalError, UsageError, ValidationError
from datasync.sources import PhoenixAPI, PhoenixDataset, node_id_number
from datasync.sync import Mode, parse_mode

__all__ = ["PhoenixExport", "PhoenixMismatch", "export_to_phoenix", "hash_phoenix_rows"]

SCHEME: Final = "sha256-128"
_INT64: Final = -(2**63)
_UINT64: Final = 2**64
#: Phoenix's upload actions for datasync's push modes.
_ACTIONS: Final = {Mode.MIRROR: "update", Mode.APPEND: "append"}


@dataclass(frozen=True)
class PhoenixMismatch:
    """An example whose content in Phoenix is not the datasync version's.

    ``expected`` is datasync's ``sha256-128`` (None: the example is not in the version),
    ``found`` Phoenix's (None: Phoenix does not hold it, or holds a value content hash v1
    refuses); ``reason`` says which in words."""

    id: str
    expected: str | None
    found: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "expected": self.expected,
            "found": self.found,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PhoenixExport:
    """What an export did (or, with ``dry_run``, would do) on the Phoenix side.

    ``summary`` is the plan against Phoenix's newest version (``created``/``patched``/
    ``deleted``/``unchanged`` examples); ``phoenix_counts`` what Phoenix's upsert answered
    (``created``, ``updated``, ``deleted``; None when nothing was sent); ``sent`` whether
    anything was uploaded and ``upload_bytes`` the size of the upload's body (what Phoenix
    receives, or would). ``phoenix_version_id`` is the version read back: the new one, or
    ``base_phoenix_version_id`` (the newest before) when nothing changed. ``checked`` examples
    were read back and compared; ``mismatches`` lists every difference (empty: ``ok``).
    """

    dataset: str
    version_id: int
    phoenix_url: str
    phoenix_dataset: str
    phoenix_dataset_id: str | None
    phoenix_version_id: str | None
    base_phoenix_version_id: str | None
    mode: Mode
    dry_run: bool
    summary: ChangeSummary
    upload_bytes: int
    sent: bool = False
    phoenix_counts: dict[str, int] | None = None
    checked: int = 0
    mismatches: tuple[PhoenixMismatch, ...] = ()
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every example read back from Phoenix hashes as in datasync."""
        return not self.mismatches

    @property
    def changes(self) -> bool:
        """Whether the plan changes the Phoenix dataset (a dry run's question)."""
        s = self.summary
        return self.phoenix_dataset_id is None or bool(s.created or s.patched or s.deleted)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "version_id": self.version_id,
            "phoenix_url": self.phoenix_url,
            "phoenix_dataset": self.phoenix_dataset,
            "phoenix_dataset_id": self.phoenix_dataset_id,
            "phoenix_version_id": self.phoenix_version_id,
            "base_phoenix_version_id": self.base_phoenix_version_id,
            "mode": self.mode.value,
            "dry_run": self.dry_run,
            "summary": self.summary.to_dict(),
            "sent": self.sent,
            "upload_bytes": self.upload_bytes,
            "phoenix_counts": self.phoenix_counts,
            "checked": self.checked,
            "ok": self.ok,
            "mismatches": [m.to_dict() for m in self.mismatches],
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class _Held:
    """One example Phoenix holds: its returned id, node id, and sha256-128 (None: refused)."""

    id: str
    node_id: str
    hash: str | None
    why: str | None


def hash_phoenix_rows(body: bytes) -> Iterator[tuple[str, str, str | None, str | None]]:
    """``(id, node_id, sha256-128, refusal)`` of each example in Phoenix's JSONL ``body``,
    parsed strictly (the hash is None and ``refusal`` says why when content hash v1 refuses
    a value: NaN, an inexact integer, a duplicate key...)."""
    for lineno, line in enumerate(body.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = loads_strict(line)
            digest = content_hash(row["input"], row["output"], row["metadata"], scheme=SCHEME)
        except CanonicalError as exc:
            row = _lenient(line)
            yield (
                str(row.get("id", f"line {lineno}")),
                str(row.get("node_id", "")),
                None,
                exc.message,
            )
            continue
        yield str(row["id"]), str(row["node_id"]), digest, None


def _lenient(line: bytes) -> dict[str, Any]:
    """A line the strict parser refused, read by Python's parser (which takes NaN, any
    integer and repeated keys) to find its ids; ``{}`` if even that fails."""
    try:
        row = json.loads(line)
    except ValueError:
        return {}
    return row if isinstance(row, dict) else {}


def export_to_phoenix(
    client: Client,
    dataset: str | int,
    url: str,
    *,
    version_id: int | None = None,
    phoenix_dataset: str | None = None,
    api_key: str | None = None,
    mode: Mode | str = "mirror",
    dry_run: bool = False,
    timeout: float = 120.0,
) -> PhoenixExport:
    """Make the Phoenix dataset ``phoenix_dataset`` (default: the dataset's name) on the
    Phoenix at ``url`` hold ``dataset`` at ``version_id`` (default: its head), then check it.

    ``mode`` ``mirror`` (Phoenix's ``update``: examples missing from the version are deleted
    there) or ``append``. ``dry_run``: plan and report what Phoenix would receive, send
    nothing. Raises :class:`NotFoundError` (no such dataset or version),
    :class:`UsageError` (an empty version: exporting it would empty the Phoenix dataset),
    :class:`ValidationError` (``phoenix_foreign_id``: a source id is a Phoenix node id of an
    example the target does not hold, which Phoenix refuses — raised before anything is sent;
    ``phoenix_refused``), and :class:`PhoenixAPI`'s errors. Differences found on reading back
    are returned in :attr:`PhoenixExport.mismatches`, not raised.
    """
    started = time.perf_counter()
    chosen = parse_mode(mode)
    version = client.datasets.get_dataset(dataset, version_id)
    if version.version_id is None:
        raise UsageError(f"dataset {version.name!r} has no version to export", code="no_versions")
    rows: list[dict[str, Any]] = [
        {
            "id": e.source_id,
            "input": _storable(e.input),
            "output": _storable(e.output),
            "metadata": _storable(e.metadata),
        }
        for e in version.examples()
    ]
    if not rows:
        raise UsageError(
            f"{version.name} version {version.version_id} holds no examples; exporting it"
            " would empty the Phoenix dataset, so it is refused",
            code="empty_version",
        )
    expected: dict[str, str] = {
        r["id"]: content_hash(r["input"], r["output"], r["metadata"], scheme=SCHEME) for r in rows
    }
    name = phoenix_dataset or version.name
    with PhoenixAPI(url, api_key, timeout) as api:
        target = api.find_dataset(name)
        base = api.version(target, None) if target is not None else None
        summary = _plan(expected, _held(api, target, base), chosen, name)
        body = api.upload_body(name, rows, _ACTIONS[chosen], _describe(version))
        report = PhoenixExport(
            dataset=version.name,
            version_id=version.version_id,
            phoenix_url=api.base_url,
            phoenix_dataset=target.name if target else name,
            phoenix_dataset_id=target.id if target else None,
            phoenix_version_id=base,
            base_phoenix_version_id=base,
            mode=chosen,
            dry_run=dry_run,
            summary=summary,
            upload_bytes=len(body),
        )
        if dry_run:
            return replace(report, seconds=time.perf_counter() - started)
        if report.changes:
            result = api.send_upload(body)
            report = replace(
                report,
                sent=True,
                phoenix_counts={
                    "created": result.created,
                    "updated": result.updated,
                    "deleted": result.deleted,
                },
                phoenix_dataset_id=result.dataset_id,
                phoenix_version_id=result.version_id,
            )
        assert report.phoenix_dataset_id is not None and report.phoenix_version_id is not None
        back = list(
            hash_phoenix_rows(api.rows_jsonl(report.phoenix_dataset_id, report.phoenix_version_id))
        )
    return replace(
        report,
        checked=len(back),
        mismatches=tuple(_compare(expected, back, chosen)),
        seconds=time.perf_counter() - started,
    )


def _storable(value: Any) -> Any:
    """``value`` with every integer beyond 64 bits written as the double it stands for.

    Phoenix's JSON columns take 64-bit integers only (a wider one fails its whole upload with
    HTTP 500). Content hash v1 holds numbers as doubles and admits such an integer only when
    its double has the same canonical form (``10**21`` and ``1e21`` are both ``1e+21``), so
    the double has the same content hash: the read-back check proves it."""
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if type(value) is int and not _INT64 <= value < _UINT64:
        return float(value)
    return value


def _describe(version: Any) -> str:
    return f"exported by datasync from {version.name} version {version.version_id}"


def _held(api: PhoenixAPI, target: PhoenixDataset | None, version: str | None) -> list[_Held]:
    if target is None or version is None:
        return []
    return [_Held(*item) for item in hash_phoenix_rows(api.rows_jsonl(target.id, version))]


def _plan(expected: dict[str, str], held: list[_Held], mode: Mode, name: str) -> ChangeSummary:
    """What Phoenix's upsert will do, matching as it does: a source id that is a Phoenix
    node id (``DatasetExample:N``) names that example, any other the example with that id."""
    by_node = {h.node_id: h for h in held}
    by_id = {h.id: h for h in held if h.id != h.node_id}
    matched: set[str] = set()
    created = patched = unchanged = 0
    foreign: list[str] = []
    for sid, digest in expected.items():
        if node_id_number(sid, "DatasetExample") is not None:
            match = by_node.get(sid)
            if match is None:
                foreign.append(sid)
                continue
        else:
            match = by_id.get(sid)
        if match is None:
            created += 1
            continue
        matched.add(match.node_id)
        if match.hash == digest:
            unchanged += 1
        else:
            patched += 1
    if foreign:
        shown = ", ".join(foreign[:10]) + (
            f" and {len(foreign) - 10} more" if len(foreign) > 10 else ""
        )
        raise ValidationError(
            f"{len(foreign)} source id(s) are Phoenix node ids of examples that Phoenix dataset"
            f" {name!r} does not hold ({shown}); Phoenix refuses such ids. Export to the Phoenix"
            " dataset they were imported from, or give the examples ids of their own",
            code="phoenix_foreign_id",
            details={"ids": foreign},
        )
    deleted = sum(1 for h in held if h.node_id not in matched) if mode is Mode.MIRROR else 0
    return ChangeSummary(created, patched, deleted, unchanged)


def _compare(
    expected: dict[str, str],
    back: list[tuple[str, str, str | None, str | None]],
    mode: Mode,
) -> list[PhoenixMismatch]:
    out: list[PhoenixMismatch] = []
    seen: set[str] = set()
    for sid, _node, found, why in back:
        seen.add(sid)
        if sid not in expected:
            if mode is Mode.MIRROR:
                out.append(PhoenixMismatch(sid, None, found, "in Phoenix but not in the version"))
            continue
        if found is None:
            out.append(
                PhoenixMismatch(
                    sid, expected[sid], None, f"Phoenix returned a refused value: {why}"
                )
            )
        elif found != expected[sid]:
            out.append(
                PhoenixMismatch(sid, expected[sid], found, "Phoenix holds different content")
            )
    for sid in expected:
        if sid not in seen:
            out.append(PhoenixMismatch(sid, expected[sid], None, "missing in Phoenix"))
    return out
