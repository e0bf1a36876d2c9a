"""A manifest held by position (ids + raw digests) digests exactly as the ``{id: hash}`` dict."""

from __future__ import annotations

import random

import blake3
from hypothesis import given, settings
from hypothesis import strategies as st

from datasync.sync import LeafTable, bucket_of, node_of
from datasync.sync.manifest import LeafIndex
from tests.sync.test_manifest import spec_node_digest

ids_strategy = st.lists(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12),
    unique=True,
    max_size=60,
)


def packed(manifest: dict[str, str]) -> tuple[list[bytes], bytes]:
    ids = list(manifest)
    return [sid.encode() for sid in ids], b"".join(bytes.fromhex(manifest[sid]) for sid in ids)


def random_manifest(n: int, seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    return {f"id-{rng.getrandbits(40):x}-{i}": rng.randbytes(32).hex() for i in range(n)}


@settings(max_examples=150, deadline=None)
@given(ids_strategy, st.integers(0, 2**32))
def test_the_packed_table_equals_the_table_of_the_dict(ids: list[str], seed: int) -> None:
    rng = random.Random(seed)
    manifest = {sid: rng.randbytes(32).hex() for sid in ids}
    order, digests = packed(manifest)
    table = LeafTable.from_packed(order, digests, LeafIndex.of(order))
    assert table == LeafTable.from_manifest(manifest)
    assert table.to_bytes() == LeafTable.from_manifest(manifest).to_bytes()
    assert table.root() == spec_node_digest(manifest, 0, 0)


def test_a_big_packed_table_spans_every_batch_of_leaves_and_matches_the_spec() -> None:
    manifest = random_manifest(150_000, 7)  # most leaves non-empty, several ids per leaf
    ids, digests = packed(manifest)
    table = LeafTable.from_packed(ids, digests, LeafIndex.of(ids))
    reference = LeafTable.from_manifest(manifest)
    assert table == reference and len(table) == len(reference) > 55_000
    assert table.root() == reference.root() == spec_node_digest(manifest, 0, 0)
    for bits, node in [(1, 1), (8, 77), (16, 4095), (16, 4096), (16, 65535)]:
        assert table.node_digest(bits, node) == spec_node_digest(manifest, bits, node)


def test_the_index_finds_every_id_and_lists_the_positions_under_nodes() -> None:
    ids = [*random_manifest(3000, 3), "é", "😀", "\uffff", "𐀀"]
    raw = [sid.encode() for sid in ids]
    index = LeafIndex.of(raw)
    assert all(index.find(raw, sid) == p for p, sid in enumerate(ids))
    assert index.find(raw, "not-there") is None
    nodes = [0, 5, 17, 63]
    expected = sorted(p for p, sid in enumerate(ids) if node_of(bucket_of(sid), 6) in nodes)
    assert sorted(index.positions(6, nodes)) == expected
    for leaf in {bucket_of(sid) for sid in ids[:50]}:
        in_leaf = [ids[p] for p in index.leaf_positions(leaf)]
        assert in_leaf == sorted(in_leaf, key=str.encode)  # UTF-8 byte order
        assert {bucket_of(sid) for sid in in_leaf} == {leaf}


def test_an_empty_packed_manifest_has_the_empty_root() -> None:
    table = LeafTable.from_packed([], b"", LeafIndex.of([]))
    assert len(table) == 0
    assert table.root() == blake3.blake3(b"").digest()[:16].hex()
