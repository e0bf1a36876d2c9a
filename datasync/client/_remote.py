"""The remote side of a push: learn just enough of the server's manifest to plan.

The client compares its own leaf table with the server's manifest summary top-down: the root
first (equal: nothing to do), then the children of differing nodes, some levels down at a time
(asked for by parent, so the request does not list them), until fetching the entries of the
differing nodes is cheaper than descending further. Where most of the manifest differs it
takes the whole manifest in one stream instead. Each step is the first step of the cheapest
path under a small byte-cost model (:func:`next_step`), so a no-op push moves a few hundred
bytes and a change moves tens of bytes per changed id, whatever the size of the dataset.

Digests and hashes are compared shortened (:class:`Fingerprints`): the server sends only their
first characters, and the client cuts its own to the same length. A shortened comparison can
call two different values equal; docs/protocol.md ("Shortened comparisons") says why that is
safe: in ``mirror`` mode the client checks the full root after committing (:data:`FAST`), in
``append`` mode the lengths make it a 2^-64 event (:data:`SAFE`).
"""

from __future__ import annotations

import functools
import heapq
import math
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, NamedTuple

from datasync.client._backend import Backend
from datasync.client._local import LocalManifest
from datasync.errors import NotFoundError
from datasync.sync import (
    LEAF_BITS,
    Change,
    ChangeKind,
    LeafTable,
    Mode,
    Plan,
    bucket_of,
    child_nodes,
    classify,
    deletions,
    node_of,
)

__all__ = [
    "EXACT",
    "FAST",
    "SAFE",
    "Fingerprints",
    "LocalPlan",
    "RemoteView",
    "Step",
    "next_step",
    "plan_against",
    "remote_view",
]


@dataclass(frozen=True)
class Fingerprints:
    """How many leading hex chars of node digests (<= 32) and content hashes (<= 64) the
    server sends and the client compares while planning."""

    digest_chars: int
    hash_chars: int

    @property
    def exact(self) -> bool:
        return self.digest_chars >= 32 and self.hash_chars >= 64


#: 32-bit digests and hashes: used in ``mirror`` mode, where the commit is checked against the
#: full root afterwards (a miss is found and corrected, see docs/protocol.md).
FAST = Fingerprints(8, 8)
#: 64-bit digests and hashes: ``append`` mode (no root to check); a miss needs a 2^-64 event.
SAFE = Fingerprints(16, 16)
#: Full length: after a shortened comparison was caught hiding a change.
EXACT = Fingerprints(32, 64)

#: Wire-cost model (gzip'd bytes, measured on 100k-example manifests; see docs/protocol.md).
ROUND_TRIP_BYTES = 350.0  # request and status lines and headers of one request/response
REQUEST_NODE_BYTES = 6.0  # one node number in a request body (requests are not compressed)
ID_BYTES = 6.0  # one source id in an entries response (sorted: shared prefixes compress)
FULL_ENTRY_BYTES = 42.0  # one [source_id, 64-hex hash] line of the manifest stream
STREAM_PREFERENCE = 0.1


def digest_bytes(chars: int) -> float:
    """Bytes of one digest of ``chars`` hex chars in a gzip'd JSON list."""
    return chars / 2 + 1.5


def entry_bytes(chars: int) -> float:
    """Bytes of one ``[source_id, hash]`` entry with ``chars`` hash chars, gzip'd."""
    return ID_BYTES + chars / 2 + 1.0


class Step(NamedTuple):
    """What to ask next: ``descend`` to level ``bits``, the ``entries`` of the differing
    nodes, or the ``full`` manifest."""

    kind: Literal["descend", "entries", "full"]
    bits: int = 0


@dataclass(frozen=True)
class RemoteView:
    """What the client learned of the remote head.

    ``entries`` holds every remote ``(source_id, hash)`` inside the region that differs,
    hashes cut to ``hash_chars``; ``region`` is ``None`` when that region is the whole
    manifest, else ``(bits, nodes)``: outside those nodes the remote equals the local
    manifest (as far as ``digest_chars``-long digests tell). ``root`` is the remote head's
    full root digest (``None``: no version yet).
    """

    dataset_id: int | None
    version_id: int | None
    count: int
    entries: dict[str, str]
    region: tuple[int, frozenset[int]] | None
    root: str | None = None
    hash_chars: int = 64

    def covers(self, source_id: str) -> bool:
        if self.region is None:
            return True
        bits, nodes = self.region
        return node_of(bucket_of(source_id), bits) in nodes


def remote_view(
    backend: Backend,
    dataset: str | int,
    local: LeafTable,
    local_count: int,
    fingerprints: Fingerprints = EXACT,
    version_id: int | None = None,
) -> RemoteView:
    """Fetch the differing part of ``dataset``'s manifest at ``version_id`` (default: the
    head; empty if the dataset does not exist), comparing digests and hashes at the lengths
    of ``fingerprints``.

    Raises what the backend raises (:class:`TransportError`, :class:`AuthError`, ...).
    """
    try:
        info = backend.get_dataset(dataset)
    except NotFoundError:
        return RemoteView(None, None, 0, {}, None)
    top = backend.get_summary(info.id, version_id, 0)
    version, count, root = top.version_id, top.count, top.root
    if version is None or count == 0:
        return RemoteView(info.id, version, count, {}, None, root)
    if root == local.root():
        return RemoteView(info.id, version, count, {}, (0, frozenset()), root)
    chars = fingerprints.digest_chars
    bits, differing = 0, [0]
    changes = max(1.0, abs(local_count - count))
    while True:
        step = next_step(bits, len(differing), count, changes, fingerprints)
        if step.kind == "full":
            entries = {e.source_id: e.hash for e in backend.iter_manifest(info.id, version)}
            return RemoteView(info.id, version, count, entries, None, root)
        if step.kind == "entries":
            got = backend.bucket_entries(
                info.id, version, bits, differing, hash_chars=fingerprints.hash_chars
            )
            return RemoteView(
                info.id,
                version,
                count,
                {e.source_id: e.hash for e in got},
                (bits, frozenset(differing)),
                root,
                fingerprints.hash_chars,
            )
        remote = backend.bucket_digests(
            info.id, version, step.bits, differing, parent_bits=bits, digest_chars=chars
        )
        children = [c for n in differing for c in child_nodes(n, bits, step.bits)]
        differing = [c for c in children if remote[c] != local.node_digest(step.bits, c)[:chars]]
        changes = _estimate_changes(len(differing), 1 << step.bits, changes)
        bits = step.bits


def _estimate_changes(differing: int, level_nodes: int, before: float) -> float:
    """How many ids differ, judged from how many nodes of a level differ (ids are spread
    uniformly by the bucket hash: ``D`` changes leave ``L(1 - e^(-D/L))`` of ``L`` nodes
    differing). Every node of the level differing means at least about ``L ln L``."""
    if differing >= level_nodes:
        return max(before, level_nodes * math.log(level_nodes)) if level_nodes > 1 else before
    return max(1.0, -level_nodes * math.log1p(-differing / level_nodes))


def _expected_differing(level_nodes: int, changes: float) -> float:
    return level_nodes * -math.expm1(-changes / level_nodes)


def next_step(
    bits: int, differing: int, count: int, changes: float, fingerprints: Fingerprints
) -> Step:
    """The first step of the path that should move the fewest bytes from here.

    At level ``bits`` with ``differing`` nodes known to differ, a manifest of ``count``
    entries and about ``changes`` differing ids, compare: the entries of those nodes now, the
    whole manifest, or descending to any deeper level (digests of every child of the
    differing nodes) and continuing from there at the expected number of differing nodes.
    """
    digest = digest_bytes(fingerprints.digest_chars)
    entry = entry_bytes(fingerprints.hash_chars)

    def entries_cost(level: int, nodes: float) -> float:
        per_node = count / (1 << level)
        return ROUND_TRIP_BYTES + nodes * (REQUEST_NODE_BYTES + (per_node + 1) * entry)

    @functools.cache
    def best_from(level: int) -> float:  # at ``level`` with the expected differing nodes
        nodes = _expected_differing(1 << level, changes)
        costs = [entries_cost(level, nodes)]
        for deeper in range(level + 1, LEAF_BITS + 1):
            costs.append(descend_cost(level, nodes, deeper) + best_from(deeper))
        return min(costs)

    def descend_cost(level: int, nodes: float, deeper: int) -> float:
        return ROUND_TRIP_BYTES + nodes * (REQUEST_NODE_BYTES + (1 << (deeper - level)) * digest)

    options: list[tuple[float, Step]] = [
        # The stream is read incrementally; one entries answer is one JSON document held
        # whole, so the stream wins unless the entries save more than STREAM_PREFERENCE.
        (ROUND_TRIP_BYTES + count * FULL_ENTRY_BYTES * (1 - STREAM_PREFERENCE), Step("full")),
        (entries_cost(bits, differing), Step("entries", bits)),
    ]
    for deeper in range(bits + 1, LEAF_BITS + 1):
        cost = descend_cost(bits, differing, deeper) + best_from(deeper)
        options.append((cost, Step("descend", deeper)))
    return min(options, key=lambda option: option[0])[1]


@dataclass(frozen=True)
class LocalPlan:
    """A plan held by position in the local manifest: what to send, in source order.

    ``creates`` and ``patches`` are ascending positions, ``deletes`` sorted source ids; the
    hashes stay in the manifest. :meth:`to_plan` gives the :class:`Plan` (one ``Change``
    per change, sorted by source id).
    """

    creates: array[int]
    patches: array[int]
    deletes: list[str]
    unchanged: int

    @property
    def is_empty(self) -> bool:
        return not (self.creates or self.patches or self.deletes)

    def sends(self) -> Iterator[tuple[int, ChangeKind]]:
        """``(position, CREATE | PATCH)`` of every example to send, in source order."""
        creates = ((p, ChangeKind.CREATE) for p in self.creates)
        patches = ((p, ChangeKind.PATCH) for p in self.patches)
        return heapq.merge(creates, patches)

    def to_plan(self, local: LocalManifest) -> Plan:
        changes = [Change(kind, local.id_at(p), local.hash_at(p)) for p, kind in self.sends()]
        changes.extend(Change(ChangeKind.DELETE, sid, None) for sid in self.deletes)
        changes.sort(key=lambda change: change.source_id)
        return Plan(tuple(changes), self.unchanged)


def plan_against(local: LocalManifest, remote: RemoteView, mode: Mode) -> LocalPlan:
    """The plan that makes the remote head match ``local`` under ``mode``.

    Outside the differing region both sides are equal, so only the ids inside it are
    compared (local hashes cut to the remote's ``hash_chars``; :func:`classify` decides);
    the rest count as unchanged. The same changes as ``plan_changes`` over the whole
    manifests, found without a ``{source_id: hash}`` dict of the local side.
    """
    entries, chars, id_at = remote.entries, remote.hash_chars, local.id_at
    if remote.region is None:
        inside: Iterator[int] | range = range(len(local))
    else:
        bits, nodes = remote.region
        inside = local.index.positions(bits, sorted(nodes))
    creates, patches = array("I"), array("I")
    seen: set[str] = set()  # local ids the remote has (those it lacks are not needed)
    compared = unchanged = 0
    for position in inside:
        compared += 1
        sid = id_at(position)
        if sid not in entries:  # CREATE, without making its hash text
            creates.append(position)
            continue
        seen.add(sid)
        kind = classify(sid, local.hash_at(position)[:chars], entries)
        if kind is None:
            unchanged += 1
        else:
            patches.append(position)
    if mode is Mode.APPEND:
        unchanged += len(entries) - len(seen)
    return LocalPlan(
        array("I", sorted(creates)),
        array("I", sorted(patches)),
        deletions(entries, seen, mode),
        unchanged + len(local) - compared,
    )
