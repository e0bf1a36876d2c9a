"""The plan made from the compact local manifest (by position) equals ``plan_changes`` over
the ``{source_id: hash}`` dicts, for the whole manifest and for a differing region."""

from __future__ import annotations

import random

import pytest

from datasync.client._local import LocalManifest, PackedIds
from datasync.client._remote import RemoteView, plan_against
from datasync.errors import UsageError
from datasync.sources import HashedExample
from datasync.sync import LeafTable, Mode, bucket_of, node_of, plan_changes


def manifest_of(hashes: dict[str, str]) -> LocalManifest:
    manifest = LocalManifest()
    for sid, h in hashes.items():
        manifest.add(HashedExample(sid, h, "rows:1"))
    return manifest


def edited_pair(n: int, seed: int) -> tuple[dict[str, str], dict[str, str]]:
    """A remote manifest and a local one: some patched, deleted and created ids."""
    rng = random.Random(seed)
    remote = {f"ex-{i}": rng.randbytes(32).hex() for i in range(n)}
    local = {}
    for sid, h in remote.items():
        roll = rng.random()
        if roll < 0.05:
            continue  # deleted locally
        local[sid] = rng.randbytes(32).hex() if roll < 0.1 else h
    local.update({f"new-{i}": rng.randbytes(32).hex() for i in range(n // 20)})
    return remote, local


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("seed", range(4))
def test_the_plan_over_the_whole_manifest_equals_plan_changes(mode: Mode, seed: int) -> None:
    remote, local = edited_pair(2000, seed)
    manifest = manifest_of(local)
    view = RemoteView(1, 1, len(remote), remote, None)
    plan = plan_against(manifest, view, mode)
    assert plan.to_plan(manifest) == plan_changes(local, remote, mode)
    sent = [manifest.id_at(p) for p, _ in plan.sends()]
    assert sent == sorted(sent, key=list(local).index)  # source order
    assert manifest.table() == LeafTable.from_manifest(local)
    assert manifest.hashes() == local


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("bits", [4, 10, 16])
def test_the_plan_over_a_region_equals_plan_changes(mode: Mode, bits: int) -> None:
    remote, local = edited_pair(3000, bits)
    differing = {sid for sid in remote.keys() | local.keys() if local.get(sid) != remote.get(sid)}
    nodes = frozenset(node_of(bucket_of(sid), bits) for sid in differing)
    inside = {sid: h for sid, h in remote.items() if node_of(bucket_of(sid), bits) in nodes}
    manifest = manifest_of(local)
    view = RemoteView(1, 1, len(remote), inside, (bits, nodes))
    got = plan_against(manifest, view, mode).to_plan(manifest)
    expected = plan_changes(local, remote, mode)
    assert got.changes == expected.changes and got.changes
    assert got.unchanged == expected.unchanged


def test_an_empty_remote_plans_every_local_example_as_created_in_source_order() -> None:
    local = {f"id-{i}": random.Random(i).randbytes(32).hex() for i in range(500)}
    manifest = manifest_of(local)
    plan = plan_against(manifest, RemoteView(None, None, 0, {}, None), Mode.MIRROR)
    assert list(plan.creates) == list(range(500)) and not plan.patches and not plan.deletes
    assert plan.unchanged == 0


def test_a_hash_that_is_not_blake3_256_is_refused() -> None:
    with pytest.raises(UsageError):
        manifest_of({"a": "ab" * 16})


def test_packed_ids_index_and_slice_like_a_list_of_utf8_ids() -> None:
    ids = ["a", "é", "xyz", "😀", "\uffff", "ex-10"]
    packed = PackedIds()
    for sid in ids:
        packed.append(sid)
    raw = [sid.encode() for sid in ids]
    for frozen in (False, True):
        if frozen:
            packed.freeze()
        assert list(packed) == raw and len(packed) == len(ids)
        assert [packed.text(i) for i in range(len(ids))] == ids and packed[-1] == raw[-1]
        for cut in (slice(None), slice(1, 3), slice(4, 99), slice(3, 1), slice(None, None, 2)):
            assert packed[cut] == raw[cut]
    with pytest.raises(IndexError):
        packed[len(ids)]
