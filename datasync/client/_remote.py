"""The remote side of a push: learn just enough of the server's manifest to plan.

The client compares its own leaf table with the server's manifest summary top-down: the root
first (equal: nothing to do), then the children of differing nodes, two levels at a time,
until fetching the entries of the differing nodes is cheaper than descending further. Where
most of the manifest differs it takes the whole manifest in one stream instead. The choice is
a small byte-cost model (:func:`_next_step`), so a no-op push moves a few hundred bytes and a
1% change moves about a kilobyte per changed id, whatever the size of the dataset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from datasync.client._backend import Backend
from datasync.errors import NotFoundError
from datasync.sync import LEAF_BITS, LeafTable, Mode, Plan, bucket_of, child_nodes, node_of
from datasync.sync import plan_changes as _plan_changes

__all__ = ["RemoteView", "plan_against", "remote_view"]

#: Rough wire bytes of one manifest entry and of one node digest, for the cost model.
ENTRY_BYTES = 110
DIGEST_BYTES = 42
STEP = 2


@dataclass(frozen=True)
class RemoteView:
    """What the client learned of the remote head.

    ``entries`` holds every remote ``(source_id, hash)`` inside the region that differs;
    ``region`` is ``None`` when that region is the whole manifest, else ``(bits, nodes)``:
    outside those nodes the remote equals the local manifest.
    """

    dataset_id: int | None
    version_id: int | None
    count: int
    entries: dict[str, str]
    region: tuple[int, frozenset[int]] | None

    def covers(self, source_id: str) -> bool:
        if self.region is None:
            return True
        bits, nodes = self.region
        return node_of(bucket_of(source_id), bits) in nodes


def remote_view(
    backend: Backend, dataset: str | int, local: LeafTable, local_count: int
) -> RemoteView:
    """Fetch the differing part of ``dataset``'s head manifest (empty if it does not exist).

    Raises what the backend raises (:class:`TransportError`, :class:`AuthError`, ...).
    """
    try:
        info = backend.get_dataset(dataset)
    except NotFoundError:
        return RemoteView(None, None, 0, {}, None)
    top = backend.get_summary(info.id, None, 0)
    version, count = top.version_id, top.count
    if version is None or count == 0:
        return RemoteView(info.id, version, count, {}, None)
    if top.root == local.root():
        return RemoteView(info.id, version, count, {}, (0, frozenset()))
    bits, differing = 0, [0]
    estimate = max(1.0, abs(local_count - count))
    while True:
        step = _next_step(bits, len(differing), count, estimate)
        if step == "full":
            entries = {e.source_id: e.hash for e in backend.iter_manifest(info.id, version)}
            return RemoteView(info.id, version, count, entries, None)
        if step == "entries":
            got = backend.bucket_entries(info.id, version, bits, differing)
            region = (bits, frozenset(differing))
            return RemoteView(info.id, version, count, {e.source_id: e.hash for e in got}, region)
        child_bits = bits + STEP
        children = [c for n in differing for c in child_nodes(n, bits, child_bits)]
        remote = backend.bucket_digests(info.id, version, child_bits, children)
        differing = [c for c in children if remote.get(c) != local.node_digest(child_bits, c)]
        estimate = _estimate_changes(len(differing), 1 << child_bits, estimate)
        bits = child_bits


def _estimate_changes(differing: int, level_nodes: int, before: float) -> float:
    """How many ids differ, judged from how many nodes of a level differ (ids are spread
    uniformly by the bucket hash: ``D`` changes leave ``L(1 - e^(-D/L))`` of ``L`` nodes
    differing). Every node of the level differing means at least about ``L ln L``."""
    if differing >= level_nodes:
        return max(before, level_nodes * math.log(level_nodes))
    return max(1.0, -level_nodes * math.log1p(-differing / level_nodes))


def _next_step(bits: int, differing: int, count: int, changes: float) -> str:
    """``"descend"``, ``"entries"`` or ``"full"``: whichever should move the fewest bytes."""
    per_node = count / (1 << bits)
    if changes > count / 3:  # most of the manifest differs: one stream beats any descent
        return "full"
    full = count * ENTRY_BYTES
    entries = differing * per_node * ENTRY_BYTES
    if bits + STEP > LEAF_BITS or per_node <= 1:
        return "entries" if entries < 0.7 * full else "full"
    child_level = 1 << (bits + STEP)
    children_differing = min(
        differing * (1 << STEP), child_level * -math.expm1(-changes / child_level)
    )
    descend = (
        differing * (1 << STEP) * DIGEST_BYTES
        + children_differing * (per_node / (1 << STEP)) * ENTRY_BYTES
    )
    best = min(entries, full)
    if descend < best:
        return "descend"
    return "entries" if entries < 0.7 * full else "full"


def plan_against(local: dict[str, str], remote: RemoteView, mode: Mode) -> Plan:
    """The plan that makes the remote head match ``local`` under ``mode``.

    Outside the differing region both sides are equal, so only the ids inside it are
    compared; the rest count as unchanged.
    """
    if remote.region is None:
        return _plan_changes(local, remote.entries, mode)
    inside = {sid: h for sid, h in local.items() if remote.covers(sid)}
    plan = _plan_changes(inside, remote.entries, mode)
    return Plan(plan.changes, plan.unchanged + len(local) - len(inside))
