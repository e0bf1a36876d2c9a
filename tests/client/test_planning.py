"""Client-side planning: the byte-cost model that picks each step (pure), the plan against a
partial remote view with shortened hashes, and the safety net that catches a shortened
comparison calling two different hashes equal (a real 32-bit prefix collision of BLAKE3)."""

from __future__ import annotations

import math

import pytest

from datasync.canonical import content_hash
from datasync.client import Client
from datasync.client._local import LocalManifest
from datasync.client._remote import (
    EXACT,
    FAST,
    SAFE,
    RemoteView,
    digest_bytes,
    entry_bytes,
    next_step,
    plan_against,
)
from datasync.sources import HashedExample
from datasync.store import Store
from datasync.sync import ChangeKind, Mode, bucket_of, node_of
from tests.client.conftest import rows
from tests.client.test_upsert import as_state, stored

# Two contents whose content hashes share their first 8 hex chars (found by a birthday
# search over {"question": "q<i>"}); the test below checks it, so it cannot go stale.
COLLIDING = ({"question": "q67477"}, {"question": "q88441"})


def walk(count: int, changes: float, fingerprints: object = FAST) -> list[tuple[str, int]]:
    """The steps the model takes from the root when each level differs as expected."""
    bits, differing, steps = 0, 1, []
    while True:
        step = next_step(bits, differing, count, changes, fingerprints)  # type: ignore[arg-type]
        steps.append((step.kind, step.bits))
        if step.kind != "descend":
            return steps
        level = 1 << step.bits
        differing = max(1, round(level * -math.expm1(-changes / level)))
        bits = step.bits


def test_shorter_fingerprints_cost_fewer_bytes() -> None:
    assert digest_bytes(FAST.digest_chars) < digest_bytes(SAFE.digest_chars)
    assert digest_bytes(SAFE.digest_chars) < digest_bytes(EXACT.digest_chars)
    assert entry_bytes(FAST.hash_chars) < entry_bytes(SAFE.hash_chars)
    assert entry_bytes(SAFE.hash_chars) < entry_bytes(EXACT.hash_chars)
    assert EXACT.exact and not FAST.exact and not SAFE.exact


def test_a_few_changes_in_a_big_manifest_descend_to_the_leaves() -> None:
    steps = walk(100_000, 2000)
    assert steps[-1] == ("entries", 16)
    assert all(kind == "descend" for kind, _ in steps[:-1])
    assert len(steps) <= 5  # a few round trips, not one per level


def test_one_change_descends_in_small_jumps() -> None:
    steps = walk(1_000_000, 1)
    assert steps[-1][0] == "entries"
    jumps = [b for kind, b in steps if kind == "descend"]
    assert jumps == sorted(jumps) and jumps[0] < 16


def test_most_of_the_manifest_changed_takes_everything_at_once() -> None:
    # shortened hashes: every entry in one answer; full length: the manifest stream
    assert next_step(0, 1, 10_000, 9_000, FAST) == ("entries", 0)
    assert next_step(0, 1, 10_000, 9_000, EXACT).kind == "full"


def test_a_tiny_manifest_takes_its_entries_at_once() -> None:
    assert next_step(0, 1, 3, 1, FAST) == ("entries", 0)


def test_at_the_leaf_level_only_entries_or_full_remain() -> None:
    assert next_step(16, 10, 100_000, 10, FAST) == ("entries", 16)


def test_plan_against_shortened_hashes_returns_full_hashes() -> None:
    local = {f"e{i}": content_hash({"n": i}, None, None) for i in range(50)}
    changed = dict(local)
    changed["e3"] = content_hash({"n": "three"}, None, None)
    region_ids = [sid for sid in local if sid != "e9"]  # e9 lies outside the region
    nodes = frozenset(node_of(bucket_of(sid), 16) for sid in region_ids)
    remote_entries = {sid: local[sid][:8] for sid in region_ids if sid != "e5"}  # e5 is new
    outside = [sid for sid in local if node_of(bucket_of(sid), 16) not in nodes]
    view = RemoteView(1, 1, 49, remote_entries, (16, nodes), "r" * 32, 8)
    manifest = LocalManifest()
    for sid, h in changed.items():
        manifest.add(HashedExample(sid, h, "rows:1"))
    plan = plan_against(manifest, view, Mode.MIRROR).to_plan(manifest)
    kinds = {c.source_id: (c.kind, c.hash) for c in plan.changes}
    assert kinds == {
        "e3": (ChangeKind.PATCH, changed["e3"]),
        "e5": (ChangeKind.CREATE, changed["e5"]),
    }
    assert plan.unchanged == 50 - 2 and outside  # outside ids count as unchanged


def test_the_colliding_pair_really_collides_on_32_bits() -> None:
    a, b = (content_hash(c, {}, {}) for c in COLLIDING)
    assert a[:8] == b[:8] and a != b


def test_a_shortened_collision_alone_is_caught_before_committing(
    client: Client, store: Store
) -> None:
    data = rows(300)
    data[0] = {"id": data[0]["id"], "input": COLLIDING[0], "output": {}, "metadata": {}}
    client.datasets.upsert_dataset(dataset="qa", examples=data)
    edited = [dict(r) for r in data]
    edited[0] = {**edited[0], "input": COLLIDING[1]}
    v2 = client.datasets.upsert_dataset(dataset="qa", examples=edited)
    assert v2.summary.to_dict() == {"created": 0, "patched": 1, "deleted": 0, "unchanged": 299}
    assert stored(store, "qa") == as_state(edited)
    assert len(store.list_versions("qa").items) == 2


def test_a_collision_next_to_a_real_change_is_corrected_after_the_commit(
    client: Client, store: Store
) -> None:
    data = rows(300)
    data[0] = {"id": data[0]["id"], "input": COLLIDING[0], "output": {}, "metadata": {}}
    client.datasets.upsert_dataset(dataset="qa", examples=data)
    edited = [dict(r) for r in data]
    edited[0] = {**edited[0], "input": COLLIDING[1]}  # hidden by the 8-char comparison
    edited[100] = {**edited[100], "output": {"answer": "new"}}  # seen
    v = client.datasets.upsert_dataset(dataset="qa", examples=edited)
    assert stored(store, "qa") == as_state(edited)
    assert v.summary.to_dict() == {"created": 0, "patched": 2, "deleted": 0, "unchanged": 298}
    assert v.version_id == store.get_version("qa", None).id
    # The plan, the verified commit, and the correction: three versions, the last is right.
    assert len(store.list_versions("qa").items) == 3


@pytest.mark.parametrize("mode", ["append"])
def test_append_mode_compares_64_bits_so_the_collision_is_seen(
    client: Client, store: Store, mode: str
) -> None:
    data = rows(50)
    data[0] = {"id": data[0]["id"], "input": COLLIDING[0], "output": {}, "metadata": {}}
    client.datasets.upsert_dataset(dataset="qa", examples=data, mode=mode)
    edited = [{**data[0], "input": COLLIDING[1]}]
    v = client.datasets.upsert_dataset(dataset="qa", examples=edited, mode=mode)
    assert v.summary.to_dict() == {"created": 0, "patched": 1, "deleted": 0, "unchanged": 49}
    assert stored(store, "qa")[data[0]["id"]]["input"] == COLLIDING[1]
    assert len(store.list_versions("qa").items) == 2
