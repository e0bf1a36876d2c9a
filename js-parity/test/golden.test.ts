/** Every golden vector (golden_vectors/*.jsonl), through the library and through the bin. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { CanonicalError } from "../src/index.js";
import {
  golden,
  hex,
  invalidBytes,
  processExample,
  runBin,
  type InvalidVector,
  type ValidVector,
} from "./helpers.js";
import { hashBytes } from "../src/index.js";

const valid = golden<ValidVector>("valid.jsonl");
const invalid = golden<InvalidVector>("invalid.jsonl");

describe("golden valid vectors", () => {
  it("are present", () => assert.ok(valid.length >= 50, `only ${valid.length} valid vectors`));
  for (const v of valid) {
    it(`${v.name} gives the recorded canonical bytes and hashes`, () => {
      const bytes = processExample(v.json);
      assert.equal(hex(bytes), v.canonical_hex);
      assert.equal(new TextDecoder().decode(bytes), v.canonical);
      assert.equal(hashBytes(bytes, "blake3"), v.blake3);
      assert.equal(hashBytes(bytes, "sha256-128"), v.sha256_128);
    });
  }
});

describe("golden invalid vectors", () => {
  it("are present", () => assert.ok(invalid.length >= 30, `only ${invalid.length} invalid vectors`));
  for (const v of invalid) {
    it(`${v.name} is refused with ${v.code} at ${v.path}`, () => {
      assert.throws(
        () => processExample(invalidBytes(v)),
        (err: unknown) => {
          assert.ok(err instanceof CanonicalError, `not a CanonicalError: ${String(err)}`);
          assert.deepEqual({ code: err.code, path: err.path }, { code: v.code, path: v.path });
          return true;
        },
      );
    });
  }
});

describe("datasync-hash answers the golden vectors", () => {
  // A newline ends a line of the protocol. Outside strings it is whitespace, and inside a
  // string it is refused like any raw control character, so sending it as \r changes nothing.
  const asLine = (bytes: Uint8Array): Uint8Array => Uint8Array.from(bytes, (b) => (b === 0x0a ? 0x0d : b));

  it("on one stream, in order, valid and invalid interleaved", () => {
    const lines = [...valid.map((v) => asLine(Buffer.from(v.json))), ...invalid.map((v) => asLine(invalidBytes(v)))];
    const expected = [
      ...valid.map((v) => ({ canonical_hex: v.canonical_hex, blake3: v.blake3, sha256_128: v.sha256_128 })),
      ...invalid.map((v) => ({ error: { code: v.code, path: v.path } })),
    ];
    const names = [...valid, ...invalid].map((v) => v.name);
    const answers = runBin(lines).map((a) => {
      const answer = a as { error?: { code: string; path: string } };
      return answer.error ? { error: { code: answer.error.code, path: answer.error.path } } : answer;
    });
    assert.equal(answers.length, expected.length);
    for (let i = 0; i < expected.length; i++) {
      assert.deepEqual(answers[i], expected[i], `vector ${names[i]}`);
    }
  });
});
