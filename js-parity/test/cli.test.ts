/** bin/datasync-hash.mjs: the line protocol the Python differential test relies on. */

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";

import { contentHash } from "../src/index.js";
import { BIN, runBin } from "./helpers.js";

describe("datasync-hash", () => {
  it("answers each example line; an error never stops the stream", () => {
    const answers = runBin(['{"input":{"q":1}}', '{"input":{"a":1,"a":2}}', "", "[1]", '{"id":7,"input":{"q":1}}']);
    const ok = { blake3: contentHash({ input: { q: 1 } }), sha256_128: contentHash({ input: { q: 1 } }, { scheme: "sha256-128" }) };
    assert.equal(answers.length, 5);
    assert.deepEqual(answers[0], { canonical_hex: Buffer.from('{"input":{"q":1},"metadata":{},"output":{}}').toString("hex"), ...ok });
    assert.deepEqual((answers[1] as { error: { code: string; path: string } }).error.code, "duplicate_key");
    assert.deepEqual((answers[2] as { error: { code: string } }).error.code, "invalid_json");
    assert.deepEqual((answers[3] as { error: { path: string } }).error, {
      code: "not_an_object",
      path: "$",
      message: "[not_an_object] an example line must be a JSON object at $",
    });
    assert.deepEqual(answers[4], answers[0]); // members besides input/output/metadata are not content
  });

  it("hashes any JSON value with --canonical", () => {
    const [answer] = runBin(['[1,{"b":1e21,"a":-0}]'], ["--canonical"]);
    assert.equal((answer as { canonical_hex: string }).canonical_hex, Buffer.from('[1,{"a":0,"b":1e+21}]').toString("hex"));
  });

  it("answers a last line that has no newline", () => {
    const done = spawnSync(process.execPath, [BIN, "--canonical"], { input: "1\n2" });
    assert.equal(done.stdout.toString().trim().split("\n").length, 2);
  });

  it("answers a line as soon as it is complete (a caller may wait for each answer)", async () => {
    const child = spawn(process.execPath, [BIN, "--canonical"]);
    child.stdin.write("[1]\n");
    const [first] = (await once(child.stdout, "data")) as [Buffer];
    assert.match(first.toString(), /^\{"canonical_hex":"5b315d"/);
    child.stdin.end();
    await once(child, "close");
  });

  it("prints help, and refuses an unknown argument with status 2", () => {
    assert.match(spawnSync(process.execPath, [BIN, "--help"]).stdout.toString(), /usage: datasync-hash/);
    assert.equal(spawnSync(process.execPath, [BIN, "--nope"]).status, 2);
  });
});
