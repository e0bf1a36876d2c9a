/**
 * Manifest summaries: bucket digests over `(sourceId, hash)` entries, byte-identical to
 * Python's `datasync.sync.manifest` (docs/protocol.md §3 defines every byte):
 *
 * - `bucketOf(id)`: the first two bytes, big-endian, of BLAKE3(UTF-8 id), in `[0, 65536)`.
 * - Leaf digest: the first 16 bytes of BLAKE3 over the leaf's entries sorted by the UTF-8
 *   bytes of their ids, each `u32be(len(id)) || id || ascii(hash) || 0x0A`.
 * - Leaf table: `u16be(leaf) || leaf digest` for each non-empty leaf, ascending.
 * - Node `(bits, j)` covers the leaves `l >> (16 - bits) == j`; its digest is the first 16
 *   bytes of BLAKE3 over its slice of the leaf table (32 hex). The root is node `(0, 0)`.
 */

import { blake3 } from "@noble/hashes/blake3.js";
import { bytesToHex } from "@noble/hashes/utils.js";

import { ValidationError } from "./errors.js";

export const LEAF_BITS = 16;
export const DIGEST_BYTES = 16;
const RECORD_BYTES = 2 + DIGEST_BYTES;
const UTF8 = new TextEncoder();

/** UTF-8 bytes of a source id; a lone surrogate is refused (`invalid_source_id`). */
export function sourceIdBytes(sourceId: string): Uint8Array {
  if (!sourceId.isWellFormed()) {
    throw new ValidationError(`source id ${JSON.stringify(sourceId)} holds a lone surrogate`, {
      code: "invalid_source_id",
      details: { source_id: sourceId },
    });
  }
  return UTF8.encode(sourceId);
}

/** The leaf bucket of `sourceId`: the first 2 bytes of BLAKE3(UTF-8 id), big-endian. */
export function bucketOf(sourceId: string): number {
  const digest = blake3(sourceIdBytes(sourceId));
  return ((digest[0] ?? 0) << 8) | (digest[1] ?? 0);
}

/** The node at level `bits` that contains `leaf`. */
export function nodeOf(leaf: number, bits: number): number {
  return leaf >> (LEAF_BITS - bits);
}

/** The nodes at level `childBits` (>= `bits`) under `node` at level `bits`. */
export function childNodes(node: number, bits: number, childBits: number): number[] {
  const shift = childBits - bits;
  const out: number[] = [];
  for (let c = node << shift; c < (node + 1) << shift; c++) {
    out.push(c);
  }
  return out;
}

/** One entry's bytes in a leaf digest: `u32be(len) || id || hash || "\n"`. */
export function entryBytes(sourceId: string, hash: string): Uint8Array {
  const id = sourceIdBytes(sourceId);
  const out = new Uint8Array(4 + id.length + hash.length + 1);
  new DataView(out.buffer).setUint32(0, id.length);
  out.set(id, 4);
  for (let i = 0; i < hash.length; i++) {
    out[4 + id.length + i] = hash.charCodeAt(i);
  }
  out[out.length - 1] = 0x0a;
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function digest(data: Uint8Array): Uint8Array {
  return blake3(data).subarray(0, DIGEST_BYTES);
}

/** Compare two source ids by their UTF-8 bytes (= code point order, not UTF-16 order). */
export function compareIds(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** The 16-byte digest of one leaf's `[sourceId, hash]` entries (any order given). */
export function leafDigest(entries: Iterable<readonly [string, string]>): Uint8Array {
  const sorted = [...entries].sort((x, y) => compareIds(x[0], y[0]));
  return digest(concat(sorted.map(([id, hash]) => entryBytes(id, hash))));
}

/** The leaf digests of one manifest: non-empty leaves only. */
export class LeafTable {
  private readonly leaves: number[];
  private readonly digests: Map<number, Uint8Array>;

  constructor(digests: Map<number, Uint8Array>) {
    this.digests = new Map(digests);
    this.leaves = [...digests.keys()].sort((a, b) => a - b);
  }

  /** Bucket and digest a whole `{sourceId: hash}` manifest. */
  static fromManifest(manifest: ReadonlyMap<string, string>): LeafTable {
    const buckets = new Map<number, [string, string][]>();
    for (const [id, hash] of manifest) {
      const leaf = bucketOf(id);
      const list = buckets.get(leaf);
      if (list === undefined) {
        buckets.set(leaf, [[id, hash]]);
      } else {
        list.push([id, hash]);
      }
    }
    const digests = new Map<number, Uint8Array>();
    for (const [leaf, entries] of buckets) {
      digests.set(leaf, leafDigest(entries));
    }
    return new LeafTable(digests);
  }

  get size(): number {
    return this.leaves.length;
  }

  /** The packed table (`u16be(leaf) || digest` records): what the root is computed over. */
  toBytes(): Uint8Array {
    return this.slice(0, this.leaves.length);
  }

  private slice(lo: number, hi: number): Uint8Array {
    const out = new Uint8Array((hi - lo) * RECORD_BYTES);
    for (let i = lo; i < hi; i++) {
      const leaf = this.leaves[i] as number;
      const at = (i - lo) * RECORD_BYTES;
      out[at] = leaf >> 8;
      out[at + 1] = leaf & 0xff;
      out.set(this.digests.get(leaf) as Uint8Array, at + 2);
    }
    return out;
  }

  /** The hex digest of `node` at level `bits` (an empty node hashes the empty string). */
  nodeDigest(bits: number, node: number): string {
    const shift = LEAF_BITS - bits;
    const lo = lowerBound(this.leaves, node << shift);
    const hi = lowerBound(this.leaves, (node + 1) << shift);
    return bytesToHex(digest(this.slice(lo, hi)));
  }

  /** The digest of the whole manifest (node `(0, 0)`). */
  root(): string {
    return this.nodeDigest(0, 0);
  }
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < value) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}
