"""Manifest summaries: bucket digests over ``(source_id, hash)`` entries (sync protocol v1).

Pure. The byte-level definitions here are a cross-language contract; docs/protocol.md states
them for the TypeScript client. In short:

* ``bucket_of(id)``: the first two bytes, big-endian, of BLAKE3(UTF-8 of the source id), a
  leaf bucket in ``[0, 65536)`` (:data:`LEAF_BITS` = 16).
* Leaf digest: the first 16 bytes of BLAKE3 over the leaf's entries sorted by the UTF-8 bytes
  of their source ids, each encoded as ``u32be(len(id)) || id || ascii(hash) || 0x0A``.
* Leaf table: for each non-empty leaf, ascending, ``u16be(leaf) || leaf digest`` (18 bytes).
* Node ``(bits, j)`` (``0 <= bits <= 16``) covers the leaves ``l`` with ``l >> (16 - bits) == j``;
  its digest is the first 16 bytes of BLAKE3 over its slice of the leaf table, as 32 hex
  chars. The root is node ``(0, 0)``. An empty node hashes the empty string.

Nodes at any level are computed from the leaf table alone, so a store keeps one small blob per
version and a client compares the root first, then descends only into differing nodes.

A client holds its manifest by position (UTF-8 ids, hashes as raw digests in one buffer);
:class:`LeafIndex` sorts those positions by leaf once, and :meth:`LeafTable.from_packed` digests
the leaves from it without a ``{source_id: hash}`` dict or hex strings per entry.
"""

from __future__ import annotations

import binascii
import bisect
import itertools
import sys
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from blake3 import blake3

from datasync.errors import ValidationError

__all__ = [
    "DIGEST_BYTES",
    "LEAF_BITS",
    "LEAF_RECORD_BYTES",
    "LeafIndex",
    "LeafTable",
    "Summary",
    "bucket_of",
    "child_nodes",
    "differing_nodes",
    "entry_bytes",
    "leaf_digest",
    "node_of",
    "validate_nodes",
]

LEAF_BITS = 16
LEAF_COUNT = 1 << LEAF_BITS
DIGEST_BYTES = 16
LEAF_RECORD_BYTES = 2 + DIGEST_BYTES
#: Leaves digested per batch by :meth:`LeafTable.from_packed` (bounds its entry bytes held).
_LEAF_BATCH = 4096


def bucket_of(source_id: str) -> int:
    """The leaf bucket of ``source_id``: the first 2 bytes of BLAKE3(UTF-8 id), big-endian."""
    # A shorter BLAKE3 output is a prefix of the longer one (it is an XOF).
    return int.from_bytes(blake3(source_id.encode("utf-8")).digest(length=2), "big")


def _leaves_of(ids: Sequence[bytes]) -> array[int]:
    """``bucket_of`` of every id, as an array (built in slices: no object per id is kept)."""
    out = array("H")
    for start in range(0, len(ids), _LEAF_BATCH):
        chunk = [blake3(raw).digest(length=2) for raw in ids[start : start + _LEAF_BATCH]]
        out.frombytes(b"".join(chunk))
    if sys.byteorder == "little":
        out.byteswap()  # the digests are big-endian
    return out


def node_of(leaf: int, bits: int) -> int:
    """The node at level ``bits`` that contains ``leaf``."""
    return leaf >> (LEAF_BITS - bits)


def child_nodes(node: int, bits: int, child_bits: int) -> range:
    """The nodes at level ``child_bits`` (>= ``bits``) under ``node`` at level ``bits``."""
    shift = child_bits - bits
    return range(node << shift, (node + 1) << shift)


def entry_bytes(source_id: str, content_hash: str) -> bytes:
    """One entry's bytes in a leaf digest: ``u32be(len) || id || hash || "\\n"``."""
    raw = source_id.encode("utf-8")
    return len(raw).to_bytes(4, "big") + raw + content_hash.encode("ascii") + b"\n"


def leaf_digest(entries: Iterable[tuple[str, str]]) -> bytes:
    """The 16-byte digest of one leaf's ``(source_id, hash)`` entries (any order given)."""
    # Code point order of str equals the byte order of their UTF-8 encodings.
    return _digest(b"".join(entry_bytes(sid, h) for sid, h in sorted(entries)))


def _digest(data: bytes) -> bytes:
    digest: bytes = blake3(data).digest(length=DIGEST_BYTES)
    return digest


def validate_nodes(bits: int, nodes: Sequence[int]) -> None:
    """Raise :class:`ValidationError` unless ``bits`` is a level and ``nodes`` exist on it."""
    if not 0 <= bits <= LEAF_BITS:
        raise ValidationError(
            f"bits must be between 0 and {LEAF_BITS}, not {bits}", code="invalid_bits"
        )
    bad = [n for n in nodes if not 0 <= n < (1 << bits)]
    if bad:
        raise ValidationError(
            f"nodes {bad[:10]} do not exist at bits={bits} (0..{(1 << bits) - 1})",
            code="invalid_nodes",
            details={"nodes": bad[:100]},
        )


class LeafIndex:
    """A manifest's positions grouped by leaf: ``order[starts[leaf]:starts[leaf + 1]]`` are the
    positions of the entries in ``leaf``, sorted by the UTF-8 bytes of their ids."""

    __slots__ = ("leaves", "order", "starts")

    def __init__(self, order: array[int], starts: array[int], leaves: Sequence[int]) -> None:
        self.order = order
        self.starts = starts
        self.leaves = leaves  # the non-empty leaves, ascending

    @classmethod
    def of(cls, ids: Sequence[bytes]) -> LeafIndex:
        """The index of UTF-8 ``ids`` (position = index in the sequence; ids must be unique).

        A counting sort by leaf, then a sort by id inside each leaf: besides the result it
        holds 2 bytes an entry, not a sort key object per entry.
        """
        leaf_of = _leaves_of(ids)
        counts = [0] * (LEAF_COUNT + 1)
        for leaf in leaf_of:
            counts[leaf + 1] += 1
        starts = array("I", itertools.accumulate(counts))
        order = array("I", bytes(4 * len(ids)))
        fill = starts.tolist()
        for position, leaf in enumerate(leaf_of):
            order[fill[leaf]] = position
            fill[leaf] += 1
        leaves = sorted(set(leaf_of))  # a small manifest touches few of the 65,536 leaves
        del leaf_of, fill
        for leaf in leaves:
            lo, hi = starts[leaf], starts[leaf + 1]
            if hi - lo > 1:
                order[lo:hi] = array("I", sorted(order[lo:hi], key=ids.__getitem__))
        return cls(order, starts, leaves)

    def leaf_positions(self, leaf: int) -> array[int]:
        """The positions of ``leaf``'s entries, in id order."""
        return self.order[self.starts[leaf] : self.starts[leaf + 1]]

    def positions(self, bits: int, nodes: Iterable[int]) -> Iterator[int]:
        """The positions of every entry under ``nodes`` at level ``bits``."""
        shift = LEAF_BITS - bits
        for node in nodes:
            yield from self.order[self.starts[node << shift] : self.starts[(node + 1) << shift]]

    def find(self, ids: Sequence[bytes], source_id: str) -> int | None:
        """The position of ``source_id`` in UTF-8 ``ids``, or ``None``."""
        raw = source_id.encode("utf-8")
        for position in self.leaf_positions(int.from_bytes(blake3(raw).digest(length=2), "big")):
            if ids[position] == raw:
                return position
        return None


class LeafTable:
    """The leaf digests of one manifest: ``{leaf: 16-byte digest}`` for non-empty leaves."""

    __slots__ = ("_digests", "_leaves", "_packed")

    def __init__(self, digests: Mapping[int, bytes]) -> None:
        self._leaves = sorted(digests)
        self._digests = dict(digests)
        self._packed: bytes | None = None

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, str]) -> LeafTable:
        """Bucket and digest a whole ``{source_id: hash}`` manifest."""
        buckets: defaultdict[int, list[tuple[str, str]]] = defaultdict(list)
        for source_id, content_hash in manifest.items():
            buckets[bucket_of(source_id)].append((source_id, content_hash))
        return cls({leaf: leaf_digest(entries) for leaf, entries in buckets.items()})

    @classmethod
    def from_packed(
        cls, ids: Sequence[bytes], hashes: bytes | bytearray, index: LeafIndex
    ) -> LeafTable:
        """The table of a manifest held by position: UTF-8 ``ids[p]`` has the content hash whose raw
        bytes are ``hashes[p * w : (p + 1) * w]`` (``w = len(hashes) // len(ids)``; the entry
        holds its lowercase hex). The same digests as :meth:`from_manifest`."""
        width = len(hashes) // len(ids) if ids else 0
        view = memoryview(hashes)
        hexlify = binascii.hexlify
        order, starts, leaves = index.order, index.starts, index.leaves
        digests: dict[int, bytes] = {}
        for first in range(0, len(leaves), _LEAF_BATCH):
            batch = leaves[first : first + _LEAF_BATCH]
            base = starts[batch[0]]
            entries = [
                len(raw).to_bytes(4, "big") + raw + hexlify(view[at : at + width]) + b"\n"
                for p in order[base : starts[batch[-1] + 1]]
                for raw, at in ((ids[p], p * width),)
            ]
            for leaf in batch:
                lo, hi = starts[leaf] - base, starts[leaf + 1] - base
                digests[leaf] = _digest(entries[lo] if hi - lo == 1 else b"".join(entries[lo:hi]))
        return cls(digests)

    @classmethod
    def from_bytes(cls, blob: bytes) -> LeafTable:
        """Read the packed table (``u16be(leaf) || digest`` records, ascending)."""
        if len(blob) % LEAF_RECORD_BYTES:
            raise ValueError("leaf table length is not a multiple of 18")
        digests = {}
        for i in range(0, len(blob), LEAF_RECORD_BYTES):
            digests[int.from_bytes(blob[i : i + 2], "big")] = blob[i + 2 : i + LEAF_RECORD_BYTES]
        return cls(digests)

    def to_bytes(self) -> bytes:
        """The packed table: the bytes the root digest is computed over."""
        if self._packed is None:
            digests = self._digests
            self._packed = b"".join(
                [leaf.to_bytes(2, "big") + digests[leaf] for leaf in self._leaves]
            )
        return self._packed

    def replace(self, changed: Mapping[int, bytes | None]) -> LeafTable:
        """A new table with ``changed`` leaves set (``None`` empties a leaf)."""
        digests = dict(self._digests)
        for leaf, digest in changed.items():
            if digest is None:
                digests.pop(leaf, None)
            else:
                digests[leaf] = digest
        return LeafTable(digests)

    def leaf(self, leaf: int) -> bytes | None:
        """The 16-byte digest of ``leaf``, or ``None`` when it is empty."""
        return self._digests.get(leaf)

    def __len__(self) -> int:
        return len(self._leaves)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LeafTable) and self._digests == other._digests

    __hash__ = None  # type: ignore[assignment]

    def node_digest(self, bits: int, node: int) -> str:
        """The hex digest of ``node`` at level ``bits`` (an empty node hashes ``b""``)."""
        shift = LEAF_BITS - bits
        lo = bisect.bisect_left(self._leaves, node << shift)
        hi = bisect.bisect_left(self._leaves, (node + 1) << shift)
        packed = self.to_bytes()
        return _digest(packed[lo * LEAF_RECORD_BYTES : hi * LEAF_RECORD_BYTES]).hex()

    def digests(self, bits: int, nodes: Iterable[int] | None = None) -> dict[int, str]:
        """Digests of ``nodes`` (default: every node) at level ``bits``."""
        wanted = range(1 << bits) if nodes is None else nodes
        return {node: self.node_digest(bits, node) for node in wanted}

    def root(self) -> str:
        """The digest of the whole manifest (node ``(0, 0)``)."""
        return self.node_digest(0, 0)


@dataclass(frozen=True, slots=True)
class Summary:
    """A version's manifest at level ``bits``: ``2**bits`` node digests, index = node."""

    version_id: int | None
    count: int
    bits: int
    root: str
    digests: tuple[str, ...]

    @property
    def buckets(self) -> int:
        return 1 << self.bits

    @classmethod
    def of(cls, table: LeafTable, count: int, bits: int, version_id: int | None) -> Summary:
        """The summary of ``table`` at level ``bits``."""
        validate_nodes(bits, [])
        digests = table.digests(bits)
        return cls(
            version_id, count, bits, table.root(), tuple(digests[n] for n in range(1 << bits))
        )

    def to_wire(self) -> dict[str, object]:
        return {
            "version_id": self.version_id,
            "count": self.count,
            "bits": self.bits,
            "buckets": self.buckets,
            "root": self.root,
            "digests": list(self.digests),
        }


def differing_nodes(local: Sequence[str], remote: Sequence[str]) -> list[int]:
    """Indexes where two same-level digest lists differ (ValidationError if sizes differ)."""
    if len(local) != len(remote):
        raise ValidationError(
            f"summaries have {len(local)} and {len(remote)} buckets; compare equal levels",
            code="summary_mismatch",
        )
    return [i for i, (a, b) in enumerate(zip(local, remote, strict=True)) if a != b]
