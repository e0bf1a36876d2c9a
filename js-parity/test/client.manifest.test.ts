/** Bucket digests and planning, checked against docs/protocol.md's vectors; no server. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { bytesToHex } from "@noble/hashes/utils.js";

import {
  EXACT,
  FAST,
  LeafTable,
  SAFE,
  bucketOf,
  entryBytes,
  hashBytes,
  leafDigest,
  nextStep,
  planAgainst,
  planChanges,
  remoteView,
  type Fingerprints,
  type ManifestSource,
} from "../src/index.js";
import { childNodes, compareIds } from "../src/client/manifest.js";

const A = "a".repeat(64);
const B = "b".repeat(64);
const EMPTY = "af1349b9f5f9a1a6a0404dea36dcc949";

describe("bucket digests (docs/protocol.md §3 vectors)", () => {
  it("puts ids in the documented leaves", () => {
    assert.equal(bucketOf("ex-1"), 0xdcc9);
    assert.equal(bucketOf("ex-1"), 56521);
    assert.equal(bucketOf("ex-2"), 0x8874);
    assert.equal(bucketOf("é"), 18128);
  });

  it("encodes an entry as u32be(len) || id || hash || newline", () => {
    assert.equal(bytesToHex(entryBytes("ex-1", A)), "00000004" + "65782d31" + "61".repeat(64) + "0a");
  });

  it("digests leaves, the leaf table, the root and level 2 as documented", () => {
    assert.equal(bytesToHex(leafDigest([["ex-1", A]])), "c5d92a4f41018c5148355633e7898362");
    const table = LeafTable.fromManifest(new Map([["ex-1", A], ["ex-2", B]]));
    assert.equal(
      bytesToHex(table.toBytes()),
      "8874" + "04a31b6f35426ad3d51303e2376170c2" + "dcc9" + "c5d92a4f41018c5148355633e7898362",
    );
    assert.equal(table.root(), "3402b986fd0d1a393df485ba1b8fcd4f");
    assert.deepEqual(
      [0, 1, 2, 3].map((n) => table.nodeDigest(2, n)),
      [EMPTY, EMPTY, "192aaf9679ee853d173b5f193f3d0e95", "49493056f7840390e5827caccff573f4"],
    );
    assert.equal(LeafTable.fromManifest(new Map()).root(), EMPTY);
  });

  it("sorts a leaf's ids by UTF-8 bytes, not UTF-16 units", () => {
    // U+1F600 sorts before U+E000 in UTF-16 units (a surrogate pair) but after it in UTF-8.
    assert.ok("\u{1F600}" < "\uE000");
    assert.ok(compareIds("\uE000", "\u{1F600}") < 0);
    const entries: [string, string][] = [["\uE000", A], ["\u{1F600}", B]];
    assert.deepEqual(leafDigest(entries), leafDigest([...entries].reverse()));
  });

  it("refuses a source id with a lone surrogate", () => {
    assert.throws(() => bucketOf("a\ud800"), { name: "ValidationError", code: "invalid_source_id" });
  });
});

describe("planChanges", () => {
  const remote = new Map([["a", A], ["b", A], ["c", A]]);
  const local = new Map([["a", A], ["b", B], ["d", B]]);

  it("mirror creates, patches and deletes, sorted by id", () => {
    const plan = planChanges(local, remote, "mirror");
    assert.deepEqual(plan.changes.map((c) => [c.kind, c.sourceId]), [["patch", "b"], ["delete", "c"], ["create", "d"]]);
    assert.equal(plan.unchanged, 1);
  });

  it("append never deletes and counts the kept remote ids as unchanged", () => {
    const plan = planChanges(local, remote, "append");
    assert.deepEqual(plan.changes.map((c) => c.kind), ["patch", "create"]);
    assert.equal(plan.unchanged, 2);
  });
});

/** A server's manifest in memory: digests computed by the same LeafTable, calls recorded. */
class MemoryServer implements ManifestSource {
  readonly calls: string[] = [];
  private readonly table: LeafTable;

  constructor(private readonly held: Map<string, string>) {
    this.table = LeafTable.fromManifest(held);
  }

  async datasetId(): Promise<number> {
    this.calls.push("dataset");
    return 1;
  }

  async head(): Promise<{ versionId: number; count: number; root: string }> {
    this.calls.push("head");
    return { versionId: 7, count: this.held.size, root: this.table.root() };
  }

  async digests(_d: number, _v: number, bits: number, parentBits: number, parents: number[], chars: number): Promise<string[]> {
    this.calls.push(`digests@${bits}`);
    return parents.flatMap((p) => childNodes(p, parentBits, bits)).map((n) => this.table.nodeDigest(bits, n).slice(0, chars));
  }

  async entries(_d: number, _v: number, bits: number, nodes: number[], chars: number): Promise<[string, string][]> {
    this.calls.push(`entries@${bits}`);
    const wanted = new Set(nodes);
    return [...this.held]
      .filter(([id]) => wanted.has(bucketOf(id) >> (16 - bits)))
      .map(([id, h]): [string, string] => [id, h.slice(0, chars)]);
  }

  async *manifest_(): AsyncGenerator<[string, string]> {
    yield* this.held;
  }

  manifest(): AsyncIterable<[string, string]> {
    this.calls.push("manifest");
    return this.manifest_();
  }
}

function hashOf(i: number, tag = ""): string {
  return hashBytes(new TextEncoder().encode(`${i}${tag}`));
}

describe("remoteView + planAgainst (planning by descent)", () => {
  const base = new Map(Array.from({ length: 3000 }, (_, i): [string, string] => [`id-${i}`, hashOf(i)]));

  it("a no-op reads only the root", async () => {
    const server = new MemoryServer(base);
    const local = new Map(base);
    const view = await remoteView(server, "qa", LeafTable.fromManifest(local), local.size, FAST);
    const plan = planAgainst(local, view, "mirror");
    assert.deepEqual(server.calls, ["dataset", "head"]);
    assert.deepEqual(plan, { changes: [], unchanged: 3000 });
  });

  for (const [name, fingerprints] of [["FAST", FAST], ["SAFE", SAFE], ["EXACT", EXACT]] as [string, Fingerprints][]) {
    it(`finds exactly a mixed change by descending (${name})`, async () => {
      const server = new MemoryServer(base);
      const local = new Map(base);
      local.set("id-5", hashOf(5, "x"));
      local.set("id-2900", hashOf(2900, "x"));
      local.delete("id-17");
      local.set("new-1", hashOf(1, "n"));
      const view = await remoteView(server, "qa", LeafTable.fromManifest(local), local.size, fingerprints);
      const plan = planAgainst(local, view, "mirror");
      assert.deepEqual(plan, planChanges(local, base, "mirror"));
      assert.equal(plan.changes.find((c) => c.sourceId === "id-5")?.hash, hashOf(5, "x"), "full hash in the plan");
      assert.ok(!server.calls.includes("manifest"), `descended instead of streaming: ${server.calls.join(",")}`);
      assert.ok(server.calls.some((c) => c.startsWith("digests@")));
    });
  }

  it("plans every id when every id differs", async () => {
    const server = new MemoryServer(base);
    const local = new Map([...base].map(([id], i): [string, string] => [id, hashOf(i, "changed")]));
    const view = await remoteView(server, "qa", LeafTable.fromManifest(local), local.size, FAST);
    assert.equal(server.calls.at(-1)?.startsWith("entries@"), true, server.calls.join(","));
    const plan = planAgainst(local, view, "mirror");
    assert.equal(plan.changes.length, 3000);
    assert.ok(plan.changes.every((c) => c.kind === "patch" && c.hash === local.get(c.sourceId)));
  });

  it("a shortened comparison can hide a change: the full root still differs", async () => {
    const local = new Map(base);
    // A different hash with the same first 8 chars as the remote one (a 2^-32 event, forged).
    const forged = hashOf(1).slice(0, 8) + hashOf(2).slice(8);
    local.set("id-1", forged);
    const table = LeafTable.fromManifest(local);
    const server = new MemoryServer(base);
    const view = await remoteView(server, "qa", table, local.size, FAST);
    assert.equal(planAgainst(local, view, "mirror").changes.length, 0, "FAST misses it");
    assert.notEqual(view.root, table.root(), "the full roots tell");
    const exact = await remoteView(server, "qa", table, local.size, EXACT);
    assert.deepEqual(planAgainst(local, exact, "mirror").changes, [{ kind: "patch", sourceId: "id-1", hash: forged }]);
  });

  it("chooses the same steps as Python's next_step", () => {
    // Expected values printed by datasync.client._remote.next_step for the same arguments
    // (with the per-request ROUND_TRIP_BYTES and STREAM_PREFERENCE of commit dac55b2).
    assert.deepEqual(nextStep(0, 1, 100_000, 1, FAST), { kind: "descend", bits: 4 });
    assert.deepEqual(nextStep(0, 1, 100_000, 90_000, FAST), { kind: "entries", bits: 0 });
    assert.deepEqual(nextStep(0, 1, 10, 1, EXACT), { kind: "full" }); // a round trip costs more than 10 entries
    assert.deepEqual(nextStep(4, 3, 100_000, 3, SAFE), { kind: "descend", bits: 7 });
    assert.deepEqual(nextStep(8, 40, 1_000_000, 40, FAST), { kind: "descend", bits: 10 });
    assert.deepEqual(nextStep(0, 1, 100_000, 1000, EXACT), { kind: "descend", bits: 10 });
  });
});
