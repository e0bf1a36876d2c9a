/**
 * The remote side of a push: learn just enough of the server's manifest to plan, the way
 * Python's `datasync/client/_remote.py` does (docs/protocol.md §3, "Finding what differs").
 *
 * The local leaf table is compared with the server's manifest summary top-down: the root
 * first (equal: nothing to do), then the children of differing nodes, two levels at a time
 * (asked for by parent, some levels down at a time), until fetching the entries of the differing nodes is cheaper than
 * descending further; where most of the manifest differs the whole manifest is streamed
 * instead. Each step is the first step of the cheapest path under the same byte-cost model
 * as Python ({@link nextStep}). Digests and hashes are compared shortened
 * ({@link Fingerprints}); docs/protocol.md ("Shortened comparisons") says why that is safe.
 */

import { NotFoundError } from "./errors.js";
import { LEAF_BITS, LeafTable, bucketOf, childNodes, nodeOf } from "./manifest.js";
import { type Mode, type Plan, planChanges } from "./plan.js";

/**
 * How many leading hex chars of node digests (<= 32) and content hashes (<= 64) the server
 * sends and the client compares while planning (Python's `Fingerprints`).
 */
export interface Fingerprints {
  digestChars: number;
  hashChars: number;
}

/** 32-bit: `mirror` mode, where the commit is checked against the full root afterwards. */
export const FAST: Fingerprints = { digestChars: 8, hashChars: 8 };
/** 64-bit: `append` mode (no root to check); a miss needs a 2^-64 event. */
export const SAFE: Fingerprints = { digestChars: 16, hashChars: 16 };
/** Full length: after a shortened comparison was caught hiding a change. */
export const EXACT: Fingerprints = { digestChars: 32, hashChars: 64 };

export function isExact(f: Fingerprints): boolean {
  return f.digestChars >= 32 && f.hashChars >= 64;
}

// Wire-cost model (gzip'd bytes), the constants of Python's _remote.py.
/** Request and status lines and headers of one request/response. */
const ROUND_TRIP_BYTES = 350.0;
/** One node number in a request body (requests are not compressed). */
const REQUEST_NODE_BYTES = 6.0;
/** One source id in an entries response (sorted: shared prefixes compress). */
const ID_BYTES = 6.0;
/** One `[source_id, 64-hex hash]` line of the manifest stream. */
const FULL_ENTRY_BYTES = 42.0;
/**
 * The stream is read incrementally; one entries answer is one JSON document held whole, so
 * the stream wins unless the entries save more than this fraction.
 */
const STREAM_PREFERENCE = 0.1;

/** What the planner needs from a server (the HTTP client implements it). */
export interface ManifestSource {
  /** The dataset's id, or `null` when it does not exist. */
  datasetId(dataset: string | number): Promise<number | null>;
  /** The head's version id (null: none yet), example count and full root digest. */
  head(datasetId: number): Promise<{ versionId: number | null; count: number; root: string }>;
  /** Digests (`chars` long) of every node at `bits` under `parents` at `parentBits`, in order. */
  digests(datasetId: number, versionId: number, bits: number, parentBits: number, parents: number[], chars: number): Promise<string[]>;
  /** `[sourceId, hash]` (`chars` long) of the entries in `nodes` at `bits`. */
  entries(datasetId: number, versionId: number, bits: number, nodes: number[], chars: number): Promise<[string, string][]>;
  /** Every `[sourceId, hash]` of the version. */
  manifest(datasetId: number, versionId: number): AsyncIterable<[string, string]>;
}

/**
 * What the client learned of the remote head. `entries` holds every remote entry inside the
 * differing region; `region` is `null` when that region is the whole manifest, else the
 * level and nodes outside of which the remote equals the local manifest.
 */
export interface RemoteView {
  datasetId: number | null;
  versionId: number | null;
  count: number;
  entries: Map<string, string>;
  region: { bits: number; nodes: Set<number> } | null;
  /** The head's full root digest (null: no version yet). */
  root: string | null;
  /** Length of the hashes in `entries`. */
  hashChars: number;
}

/**
 * Fetch the differing part of the head manifest of `dataset` (empty if it does not exist),
 * comparing digests and hashes at the lengths of `fingerprints`.
 */
export async function remoteView(
  source: ManifestSource,
  dataset: string | number,
  local: LeafTable,
  localCount: number,
  fingerprints: Fingerprints = EXACT,
): Promise<RemoteView> {
  const view = (
    datasetId: number | null, versionId: number | null, count: number, root: string | null,
    entries = new Map<string, string>(), region: RemoteView["region"] = null, hashChars = 64,
  ): RemoteView => ({ datasetId, versionId, count, entries, region, root, hashChars });
  let datasetId: number | null;
  try {
    datasetId = await source.datasetId(dataset);
  } catch (err) {
    if (err instanceof NotFoundError) datasetId = null;
    else throw err;
  }
  if (datasetId === null) return view(null, null, 0, null);
  const { versionId, count, root } = await source.head(datasetId);
  if (versionId === null || count === 0) return view(datasetId, versionId, count, root);
  if (root === local.root()) return view(datasetId, versionId, count, root, new Map(), { bits: 0, nodes: new Set() });
  const chars = fingerprints.digestChars;
  let bits = 0;
  let differing = [0];
  let changes = Math.max(1, Math.abs(localCount - count));
  for (;;) {
    const step = nextStep(bits, differing.length, count, changes, fingerprints);
    if (step.kind === "full") {
      const entries = new Map<string, string>();
      for await (const [id, hash] of source.manifest(datasetId, versionId)) entries.set(id, hash);
      return view(datasetId, versionId, count, root, entries);
    }
    if (step.kind === "entries") {
      const got = await source.entries(datasetId, versionId, bits, differing, fingerprints.hashChars);
      return view(datasetId, versionId, count, root, new Map(got), { bits, nodes: new Set(differing) }, fingerprints.hashChars);
    }
    const remote = await source.digests(datasetId, versionId, step.bits, bits, differing, chars);
    const children = differing.flatMap((n) => childNodes(n, bits, step.bits));
    differing = children.filter((c, i) => remote[i] !== local.nodeDigest(step.bits, c).slice(0, chars));
    changes = estimateChanges(differing.length, 1 << step.bits, changes);
    bits = step.bits;
  }
}

/**
 * How many ids differ, judged from how many nodes of a level differ (ids spread uniformly:
 * `D` changes leave `L(1 - e^(-D/L))` of `L` nodes differing).
 */
function estimateChanges(differing: number, levelNodes: number, before: number): number {
  if (differing >= levelNodes) return levelNodes > 1 ? Math.max(before, levelNodes * Math.log(levelNodes)) : before;
  return Math.max(1, -levelNodes * Math.log1p(-differing / levelNodes));
}

function expectedDiffering(levelNodes: number, changes: number): number {
  return levelNodes * -Math.expm1(-changes / levelNodes);
}

export type Step = { kind: "full" } | { kind: "entries"; bits: number } | { kind: "descend"; bits: number };

/**
 * The first step of the path that should move the fewest bytes from here: the entries of
 * the `differing` nodes at level `bits`, the whole manifest, or descending to a deeper level
 * and continuing from there at the expected number of differing nodes (Python's
 * `next_step`, same constants). Every request costs a round trip (`ROUND_TRIP_BYTES`), and
 * the manifest stream is preferred unless the alternatives save more than
 * `STREAM_PREFERENCE` of it.
 */
export function nextStep(bits: number, differing: number, count: number, changes: number, fingerprints: Fingerprints): Step {
  const digest = fingerprints.digestChars / 2 + 1.5;
  const entry = ID_BYTES + fingerprints.hashChars / 2 + 1.0;
  const entriesCost = (level: number, nodes: number): number =>
    ROUND_TRIP_BYTES + nodes * (REQUEST_NODE_BYTES + (count / (1 << level) + 1) * entry);
  const descendCost = (level: number, nodes: number, deeper: number): number =>
    ROUND_TRIP_BYTES + nodes * (REQUEST_NODE_BYTES + (1 << (deeper - level)) * digest);
  const memo = new Map<number, number>();
  const bestFrom = (level: number): number => {
    const known = memo.get(level);
    if (known !== undefined) return known;
    const nodes = expectedDiffering(1 << level, changes);
    let best = entriesCost(level, nodes);
    for (let deeper = level + 1; deeper <= LEAF_BITS; deeper++) {
      best = Math.min(best, descendCost(level, nodes, deeper) + bestFrom(deeper));
    }
    memo.set(level, best);
    return best;
  };
  let choice: Step = { kind: "full" };
  let cost = ROUND_TRIP_BYTES + count * FULL_ENTRY_BYTES * (1 - STREAM_PREFERENCE);
  const consider = (c: number, step: Step): void => {
    if (c < cost) [cost, choice] = [c, step];
  };
  consider(entriesCost(bits, differing), { kind: "entries", bits });
  for (let deeper = bits + 1; deeper <= LEAF_BITS; deeper++) {
    consider(descendCost(bits, differing, deeper) + bestFrom(deeper), { kind: "descend", bits: deeper });
  }
  return choice;
}

/**
 * The plan that makes the remote head match `local` (`{sourceId: hash}`) under `mode`.
 * Outside the differing region both sides are equal: those ids count as unchanged. Inside,
 * local hashes are compared cut to the remote's `hashChars`; the plan carries full hashes.
 */
export function planAgainst(local: ReadonlyMap<string, string>, remote: RemoteView, mode: Mode): Plan {
  let inside: ReadonlyMap<string, string> = local;
  if (remote.region !== null) {
    const { bits, nodes } = remote.region;
    const within = new Map<string, string>();
    for (const [id, hash] of local) {
      if (nodes.has(nodeOf(bucketOf(id), bits))) within.set(id, hash);
    }
    inside = within;
  }
  const chars = remote.hashChars;
  const cut = chars >= 64 ? inside : new Map([...inside].map(([id, h]) => [id, h.slice(0, chars)]));
  const plan = planChanges(cut, remote.entries, mode);
  const changes = plan.changes.map((c) => (c.hash === undefined ? c : { ...c, hash: inside.get(c.sourceId) as string }));
  return { changes, unchanged: plan.unchanged + local.size - inside.size };
}
