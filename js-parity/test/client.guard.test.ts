/** The mass-delete guard: the same limits and refusals as Python's datasync.sync.guard. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { DeleteGuardError, UsageError, checkDeletes, parseMaxDelete } from "../src/index.js";

function refused(fn: () => void, code: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DeleteGuardError, String(err));
    assert.equal(err.code, code);
    assert.equal(err.kind, "delete_guard");
    return true;
  });
}

describe("maxDelete", () => {
  it("parses percentages, counts and fractions", () => {
    assert.deepEqual(parseMaxDelete("50%"), { fraction: 0.5 });
    assert.deepEqual(parseMaxDelete("100%"), { fraction: 1 });
    assert.deepEqual(parseMaxDelete("100"), { count: 100 });
    assert.deepEqual(parseMaxDelete(7), { count: 7 });
    assert.deepEqual(parseMaxDelete(0.25), { fraction: 0.25 });
  });

  it("refuses anything else as a usage error", () => {
    for (const bad of ["", "-1", "101%", "half", 1.5, -3, Number.NaN]) {
      assert.throws(() => parseMaxDelete(bad), (err: unknown) => err instanceof UsageError && err.code === "bad_max_delete");
    }
  });
});

describe("checkDeletes", () => {
  it("applies a percentage from ten examples", () => {
    checkDeletes({ fraction: 0.5 }, 2, 1, 1);
    checkDeletes({ fraction: 0.5 }, 10, 5, 5);
    refused(() => checkDeletes({ fraction: 0.5 }, 10, 6, 4), "too_many_deletes");
    refused(() => checkDeletes({ count: 3 }, 100, 4, 96), "too_many_deletes");
  });

  it("refuses an empty result at any size unless everything is allowed", () => {
    refused(() => checkDeletes({ fraction: 0.5 }, 1, 1, 0), "empty_source");
    refused(() => checkDeletes({ count: 49 }, 50, 50, 0), "empty_source");
    checkDeletes({ fraction: 1 }, 50, 50, 0);
    checkDeletes({ count: 50 }, 50, 50, 0);
  });
});
