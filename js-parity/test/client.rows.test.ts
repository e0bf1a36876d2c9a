/** Rows -> examples: the column mapping of Python's examples_from_rows, and its refusals. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { SourceError, UsageError, contentHash, hashRows, type RowMapping } from "../src/index.js";

async function one(row: unknown, mapping: RowMapping = {}) {
  const out = await hashRows([row], mapping);
  return [...out.values()][0];
}

async function refused(rows: unknown[], mapping: RowMapping, code: string, location: string, cls: Function = SourceError) {
  await assert.rejects(hashRows(rows, mapping), (err: unknown) => {
    assert.ok(err instanceof cls, `not a ${cls.name}: ${String(err)}`);
    assert.equal((err as SourceError).code, code);
    if (location) assert.equal((err as SourceError).location, location);
    return true;
  });
}

describe("hashRows", () => {
  it("takes shaped rows by id and moves other keys into metadata", async () => {
    const ex = await one({ id: "q1", input: { q: 1 }, output: { a: 2 }, metadata: { m: 1 }, split: "test" });
    assert.deepEqual(ex, {
      sourceId: "q1",
      input: { q: 1 },
      output: { a: 2 },
      metadata: { m: 1, split: "test" },
      hash: contentHash({ input: { q: 1 }, output: { a: 2 }, metadata: { m: 1, split: "test" } }),
    });
  });

  it("splits flat rows by inputKeys/outputKeys; the rest is metadata", async () => {
    const ex = await one({ uid: 7, q: "2+2?", a: "4", lang: "en" }, { sourceIdKey: "uid", inputKeys: ["q"], outputKeys: ["a"] });
    assert.deepEqual([ex?.sourceId, ex?.input, ex?.output, ex?.metadata], ["7", { q: "2+2?" }, { a: "4" }, { lang: "en" }]);
  });

  it("walks a dotted sourceIdKey and turns integers into decimal strings", async () => {
    assert.equal((await one({ meta: { uid: 2 ** 60 }, input: {} }, { sourceIdKey: "meta.uid" }))?.sourceId, "1152921504606846976");
  });

  it("computes ids with sourceIdFn (the id key is then ordinary metadata)", async () => {
    const ex = await one({ id: "x", input: { q: 1 } }, { sourceIdFn: (row) => `k-${String(row["id"])}` });
    assert.deepEqual([ex?.sourceId, ex?.metadata], ["k-x", { id: "x" }]);
  });

  it("refuses every bad row with its code and location", async () => {
    await refused([{ input: {} }, { input: {} }], {}, "missing_source_id", "<rows> row 0");
    await refused([{ id: "a", input: {} }, { id: "", input: {} }], {}, "empty_source_id", "<rows> row 1");
    await refused([{ id: 1.5, input: {} }], {}, "invalid_source_id", "<rows> row 0");
    await refused([{ id: "a", input: [] }], {}, "not_an_object", "<rows> row 0");
    await refused([{ id: "a" }], {}, "missing_key", "<rows> row 0");
    await refused([{ id: "a", input: { x: Number.NaN } }], {}, "non_finite_number", "<rows> row 0");
    await refused(["text"], {}, "not_an_object", "<rows> row 0");
    await refused([{ id: "a", input: {}, metadata: { s: 1 }, s: 2 }], {}, "duplicate_key", "<rows> row 0");
  });

  it("names the JSON path of a refused value", async () => {
    await assert.rejects(hashRows([{ id: "a", input: { deep: [1, new Date()] } }], {}), (err: SourceError) => {
      assert.equal(err.code, "not_json_type");
      assert.equal(err.details["path"], "$.input.deep[1]");
      return true;
    });
  });

  it("lists every duplicated id with all its rows", async () => {
    const rows = [{ id: "a", input: {} }, { id: "b", input: {} }, { id: "a", input: {} }, { id: "b", input: {} }, { id: "a", input: {} }];
    await assert.rejects(hashRows(rows, {}), (err: SourceError) => {
      assert.equal(err.code, "duplicate_source_id");
      assert.deepEqual(err.details["duplicates"], {
        a: ["<rows> row 0", "<rows> row 2", "<rows> row 4"],
        b: ["<rows> row 1", "<rows> row 3"],
      });
      return true;
    });
  });

  it("refuses contradictory options as UsageError", async () => {
    await refused([], { sourceIdKey: "id", sourceIdFn: () => 1 }, "bad_option", "", UsageError);
    await refused([], { outputKeys: ["a"] }, "bad_option", "", UsageError);
    await refused([], { inputKeys: ["a"], outputKeys: ["a"] }, "bad_option", "", UsageError);
  });
});
