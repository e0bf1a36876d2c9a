/** canonicalize / contentHash on JavaScript values: what is refused, with which code and path. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { CanonicalError, UnknownSchemeError, canonicalize, contentHash, type Scheme } from "../src/index.js";

const text = (value: unknown): string => new TextDecoder().decode(canonicalize(value));

function refused(fn: () => unknown, code: string, path: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CanonicalError, `not a CanonicalError: ${String(err)}`);
    assert.deepEqual({ code: err.code, path: err.path }, { code, path });
    return true;
  });
}

class Point {
  constructor(readonly x: number) {}
}

describe("canonicalize", () => {
  it("writes RFC 8785: sorted keys by UTF-16 units, ES numbers, -0 as 0", () => {
    assert.equal(text({ b: 1, a: [1.0, 1e21, -0, 0.1] }), '{"a":[1,1e+21,0,0.1],"b":1}');
    assert.equal(text({ "\ue000": 1, "😀": 2 }), '{"😀":2,"\ue000":1}');
  });

  it("leaves out object members whose value is undefined, as JSON.stringify does", () => {
    assert.equal(text({ a: undefined, b: 1 }), '{"b":1}');
    assert.equal(text({ a: { c: undefined } }), '{"a":{}}');
  });

  it("keeps a __proto__ key that is an own member", () => {
    const value = JSON.parse('{"__proto__":{"x":1}}') as unknown;
    assert.equal(text(value), '{"__proto__":{"x":1}}');
  });

  const refusals: Array<[string, unknown, string, string]> = [
    ["undefined inside an array", { a: [1, undefined] }, "not_json_type", "$.a[1]"],
    ["a hole in a sparse array", { a: [1, , 3] }, "not_json_type", "$.a[1]"],
    ["undefined at the top", undefined, "not_json_type", "$"],
    ["a Date", { when: new Date(0) }, "not_json_type", "$.when"],
    ["a Map", { m: new Map() }, "not_json_type", "$.m"],
    ["a Set", { s: new Set([1]) }, "not_json_type", "$.s"],
    ["a class instance", { p: new Point(1) }, "not_json_type", "$.p"],
    ["a boxed number", { n: new Number(1) }, "not_json_type", "$.n"],
    ["a typed array", { b: new Uint8Array(2) }, "not_json_type", "$.b"],
    ["a function member", { f: () => 1 }, "not_json_type", "$.f"],
    ["a toJSON method", { toJSON: () => "x" }, "not_json_type", "$.toJSON"],
    ["a symbol value", { s: Symbol("s") }, "not_json_type", "$.s"],
    ["a bigint", { n: 1n }, "not_json_type", "$.n"],
    ["a symbol key", { [Symbol("k")]: 1 }, "non_string_key", "$"],
    ["NaN", { a: [0, Number.NaN] }, "non_finite_number", "$.a[1]"],
    ["Infinity", { "a b": Number.POSITIVE_INFINITY }, "non_finite_number", '$["a b"]'],
    ["a lone surrogate in a string", { s: "x\ud800" }, "lone_surrogate", "$.s"],
    ["a lone surrogate in a key", { "k\udc00": 1 }, "lone_surrogate", '$["k\\udc00"]'],
  ];
  for (const [what, value, code, path] of refusals) {
    it(`refuses ${what} with ${code} at ${path}`, () => refused(() => canonicalize(value), code, path));
  }

  it("refuses nesting deeper than 128, counting the outermost container", () => {
    let ok: unknown = [];
    for (let i = 1; i < 128; i++) ok = [ok];
    assert.equal(text(ok).length, 256);
    refused(() => canonicalize([ok]), "too_deep", "$" + "[0]".repeat(128));
  });

  it("refuses a cycle as too_deep instead of looping", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    refused(() => canonicalize(cycle), "too_deep", "$" + ".self".repeat(128));
  });

  it("reports the first refusal in key order", () => {
    refused(() => canonicalize({ a: [1n], b: Number.NaN }), "not_json_type", "$.a[0]");
  });
});

describe("contentHash", () => {
  const example = { input: { q: "2+2?" }, output: { a: "4" } };

  it("gives 64 hex for blake3 (default) and 32 for sha256-128", () => {
    assert.match(contentHash(example), /^[0-9a-f]{64}$/);
    assert.match(contentHash(example, { scheme: "sha256-128" }), /^[0-9a-f]{32}$/);
  });

  it("treats a missing, undefined or null output/metadata as {}", () => {
    const h = contentHash({ input: { q: 1 }, output: {}, metadata: {} });
    assert.equal(contentHash({ input: { q: 1 } }), h);
    assert.equal(contentHash({ input: { q: 1 }, output: null, metadata: undefined }), h);
  });

  it("changes when any part changes", () => {
    assert.notEqual(contentHash(example), contentHash({ ...example, metadata: { split: "a" } }));
  });

  const notObjects: Array<[string, Record<string, unknown>, string]> = [
    ["input missing", {}, "$.input"],
    ["input null", { input: null }, "$.input"],
    ["input an array", { input: [] }, "$.input"],
    ["input a Map", { input: new Map() }, "$.input"],
    ["output a string", { input: {}, output: "Paris" }, "$.output"],
    ["metadata a number", { input: {}, metadata: 7 }, "$.metadata"],
  ];
  for (const [what, content, path] of notObjects) {
    it(`refuses ${what} with not_an_object at ${path}`, () =>
      refused(() => contentHash(content as { input: unknown }), "not_an_object", path));
  }

  it("checks the parts before their contents, as Python does", () => {
    refused(() => contentHash({ input: { d: new Date() }, output: 1 }), "not_an_object", "$.output");
  });

  it("names paths from the content root", () => {
    refused(() => contentHash({ input: {}, metadata: { m: [Number.NaN] } }), "non_finite_number", "$.metadata.m[0]");
  });

  it("refuses an unknown scheme", () => {
    assert.throws(() => contentHash(example, { scheme: "md5" as Scheme }), UnknownSchemeError);
  });
});
