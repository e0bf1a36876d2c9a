/** parseStrict: the strict reader, its order of refusals, and the upstream RFC 8785 suite. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { CanonicalError, canonicalize, parseStrict } from "../src/index.js";
import { GOLDEN_DIR, hex, readJsonl, type UpstreamVector } from "./helpers.js";

function refused(input: string | Uint8Array, code: string, path: string): void {
  assert.throws(
    () => canonicalize(parseStrict(input)),
    (err: unknown) => {
      assert.ok(err instanceof CanonicalError, `not a CanonicalError: ${String(err)}`);
      assert.deepEqual({ code: err.code, path: err.path }, { code, path });
      return true;
    },
  );
}

describe("parseStrict", () => {
  it("returns plain values and keeps integer literals that are exact", () => {
    assert.deepEqual(parseStrict('{"a":[1,2.5,"x",true,null],"n":9007199254740992}'), {
      a: [1, 2.5, "x", true, null],
      n: 9007199254740992,
    });
  });

  it("keeps an integer literal that is the shortest form of its double (how JCS writes it)", () => {
    assert.equal(parseStrict("1152921504606847000"), 2 ** 60);
    assert.equal(parseStrict("100000000000000000000000"), 1e23);
  });

  it("makes __proto__ an own member, never the prototype", () => {
    const value = parseStrict('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.keys(value), ["__proto__"]);
  });

  const cases: Array<[string, string | Uint8Array, string, string]> = [
    ["a syntax error after a duplicate key", '{"a":1,"a":2,}', "invalid_json", "$"],
    ["a syntax error after an inexact integer", "[9007199254740993 1]", "invalid_json", "$"],
    ["a leading zero", "[01]", "invalid_json", "$"],
    ["'1.' and '1e'", "[1.]", "invalid_json", "$"],
    ["-NaN", "[-NaN]", "invalid_json", "$"],
    ["a newline in whitespace only", '{"a":\n1}', "ok", ""],
    ["the first of several value errors", '{"a":[NaN],"b":9007199254740993}', "non_finite_number", "$.a[0]"],
    ["a key's lone surrogate before its duplicate", '{"\\ud800":1,"\\ud800":2}', "lone_surrogate", '$["\\ud800"]'],
    ["an error in a first value before the duplicate key", '{"a":[1e999],"a":2}', "non_finite_number", "$.a[0]"],
    ["-Infinity", '{"x":-Infinity}', "non_finite_number", "$.x"],
    ["an inexact integer", '{"x":[12345678901234567890]}', "inexact_integer", "$.x[0]"],
    ["a raw lone surrogate in a JS string", '["\ud800"]', "lone_surrogate", "$[0]"],
    ["a raw high surrogate before an escaped low one", '["\ud83d\\ude00"]', "lone_surrogate", "$[0]"],
    ["an escaped surrogate pair", '["\\ud83d\\ude00"]', "ok", ""],
    ["bytes that are not UTF-8", new Uint8Array([0x22, 0xff, 0x22]), "invalid_utf8", "$"],
    ["a byte-order mark", new Uint8Array([0xef, 0xbb, 0xbf, 0x31]), "byte_order_mark", "$"],
    ["deep nesting with a later syntax error", "[".repeat(5000) + "]".repeat(4999), "invalid_json", "$"],
    ["deep nesting", "[".repeat(5000) + "]".repeat(5000), "too_deep", "$" + "[0]".repeat(128)],
  ];
  for (const [what, input, code, path] of cases) {
    if (code === "ok") {
      it(`accepts ${what}`, () => assert.doesNotThrow(() => canonicalize(parseStrict(input))));
    } else {
      it(`refuses ${what} with ${code} at ${path}`, () => refused(input, code, path));
    }
  }
});

describe("upstream RFC 8785 vectors", () => {
  const vectors = readJsonl<UpstreamVector>(GOLDEN_DIR + "upstream/jcs-upstream-vectors.jsonl.gz");

  it("are all here", () => assert.ok(vectors.length >= 50));
  for (const v of vectors) {
    if (v.name.includes("/depth/")) {
      it(`${v.name} (100,000 deep) is refused with too_deep without overflowing the stack`, () =>
        refused(v.input_json, "too_deep", v.name.includes("arrays") ? "$" + "[0]".repeat(128) : "$" + ".a".repeat(128)));
    } else {
      it(`${v.name} canonicalizes to the upstream bytes`, () =>
        assert.equal(hex(canonicalize(parseStrict(v.input_json))), v.canonical_hex));
    }
  }
});
