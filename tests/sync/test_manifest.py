"""Bucket digests: the byte-level contract of docs/protocol.md, checked against a re-derivation."""

from __future__ import annotations

import blake3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datasync.errors import ValidationError
from datasync.sync import LeafTable, Summary, bucket_of, child_nodes, differing_nodes, node_of

H1, H2 = "a" * 64, "b" * 64


def spec_leaf(source_id: str) -> int:
    # docs/protocol.md: first two bytes of BLAKE3(UTF-8 id), big-endian.
    return int.from_bytes(blake3.blake3(source_id.encode()).digest()[:2], "big")


def spec_node_digest(manifest: dict[str, str], bits: int, node: int) -> str:
    # Re-derived from docs/protocol.md with blake3 directly, independent of the implementation.
    leaves: dict[int, list[tuple[bytes, str]]] = {}
    for sid, h in manifest.items():
        leaves.setdefault(spec_leaf(sid), []).append((sid.encode(), h))
    table = b""
    for leaf in sorted(leaves):
        if leaf >> (16 - bits) != node:
            continue
        data = b"".join(
            len(raw).to_bytes(4, "big") + raw + h.encode() + b"\n"
            for raw, h in sorted(leaves[leaf])
        )
        table += leaf.to_bytes(2, "big") + blake3.blake3(data).digest()[:16]
    return blake3.blake3(table).digest()[:16].hex()


def test_bucket_of_is_the_first_two_bytes_of_blake3_of_the_id() -> None:
    # Vectors quoted in docs/protocol.md (`printf ex-1 | b3sum` starts with dcc9).
    assert bucket_of("ex-1") == spec_leaf("ex-1") == 0xDCC9 == 56521
    assert bucket_of("é") == 18128
    assert 0 <= bucket_of("é😀") < 65536


def test_empty_manifest_root_is_blake3_of_nothing() -> None:
    assert LeafTable({}).root() == blake3.blake3(b"").hexdigest()[:32]
    assert LeafTable({}).root() == "af1349b9f5f9a1a6a0404dea36dcc949"


def test_node_digests_match_the_documented_encoding() -> None:
    manifest = {f"id-{i}": (H1 if i % 3 else H2) for i in range(300)} | {"é": H1, "😀": H2}
    table = LeafTable.from_manifest(manifest)
    for bits in (0, 1, 4, 8, 16):
        for node in {0, (1 << bits) - 1, node_of(bucket_of("é"), bits)}:
            assert table.node_digest(bits, node) == spec_node_digest(manifest, bits, node)


def test_entries_in_a_leaf_are_ordered_by_utf8_bytes_not_insertion() -> None:
    a = LeafTable.from_manifest({"b": H1, "a": H2, "\uffff": H1, "𐀀": H2})
    b = LeafTable.from_manifest({"𐀀": H2, "\uffff": H1, "a": H2, "b": H1})
    assert a == b and a.root() == b.root()


def test_two_entry_manifest_matches_the_documented_vector() -> None:
    table = LeafTable.from_manifest({"ex-1": "a" * 64, "ex-2": "b" * 64})
    assert table.root() == "3402b986fd0d1a393df485ba1b8fcd4f"
    assert table.digests(1) == {0: "af1349b9f5f9a1a6a0404dea36dcc949", 1: table.root()}


def test_leaf_table_survives_packing() -> None:
    table = LeafTable.from_manifest({f"x{i}": H1 for i in range(50)})
    assert LeafTable.from_bytes(table.to_bytes()) == table
    assert len(table.to_bytes()) == 18 * len(table)


def test_truncated_leaf_table_is_refused() -> None:
    with pytest.raises(ValueError):
        LeafTable.from_bytes(b"\x00" * 17)


def test_child_nodes_cover_the_parent() -> None:
    assert list(child_nodes(3, 2, 4)) == [12, 13, 14, 15]
    assert all(node_of(leaf, 2) == 3 for leaf in range(3 << 14, 4 << 14, 997))


def test_summary_lists_every_bucket() -> None:
    table = LeafTable.from_manifest({"a": H1})
    summary = Summary.of(table, 1, 4, version_id=7)
    assert summary.buckets == 16 and len(summary.digests) == 16
    assert summary.to_wire()["root"] == table.root()


def test_summary_level_out_of_range_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        Summary.of(LeafTable({}), 0, 17, None)
    assert info.value.code == "invalid_bits"


def test_differing_nodes_of_unequal_levels_is_refused() -> None:
    with pytest.raises(ValidationError):
        differing_nodes(["a"], ["a", "b"])


ids = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=6)


@settings(max_examples=60)
@given(
    st.dictionaries(ids, st.sampled_from([H1, H2]), max_size=40),
    st.dictionaries(ids, st.sampled_from([H1, H2]), max_size=10),
    st.integers(0, 16),
)
def test_differing_nodes_are_exactly_the_nodes_of_changed_ids(
    base: dict[str, str], edits: dict[str, str], bits: int
) -> None:
    after = {**base, **edits}
    changed = {sid for sid in after if base.get(sid) != after[sid]}
    expected = sorted({node_of(bucket_of(sid), bits) for sid in changed})
    old, new = LeafTable.from_manifest(base), LeafTable.from_manifest(after)
    nodes = sorted(set(expected) | {0})
    old_d, new_d = old.digests(bits, nodes), new.digests(bits, nodes)
    assert [n for n in nodes if old_d[n] != new_d[n]] == expected


def test_replace_updates_only_the_given_leaves() -> None:
    before = {f"k{i}": H1 for i in range(20)}
    after = {**before, "k3": H2}
    del after["k5"]
    table = LeafTable.from_manifest(before)
    changed_leaves = {bucket_of("k3"), bucket_of("k5")}
    fresh = LeafTable.from_manifest(after)
    patch = {}
    for leaf in changed_leaves:
        entries = [(s, h) for s, h in after.items() if bucket_of(s) == leaf]
        patch[leaf] = LeafTable.from_manifest(dict(entries)).leaf(leaf)
    assert table.replace(patch) == fresh
