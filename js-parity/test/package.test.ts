/**
 * The published package as a user gets it: `npm pack`, installed into an empty project, then
 * loaded by `import` and by `require`, both entry points, hashing a golden vector.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { golden, PACKAGE_ROOT, type ValidVector } from "./helpers.js";

const vector = golden<ValidVector>("valid.jsonl")[0]!;
const work = mkdtempSync(join(tmpdir(), "datasync-pack-"));
const project = join(work, "consumer");

function run(command: string, args: string[], cwd: string, input?: string): string {
  const done = spawnSync(command, args, { cwd, input, encoding: "utf8", timeout: 300_000 });
  assert.equal(done.status, 0, `${command} ${args.join(" ")} failed: ${done.stderr}`);
  return done.stdout;
}

// Parses the vector's JSON and hashes its content, printing the blake3 and sha256-128 hashes.
const PROGRAM = (load: string) => `
${load}
const example = JSON.parse(${JSON.stringify(vector.json)});
const content = { input: example.input, output: example.output, metadata: example.metadata };
console.log(JSON.stringify({
  main: main.contentHash(content),
  hash: hash.contentHash(content),
  sha: hash.contentHash(content, { scheme: "sha256-128" }),
  client: typeof main.createClient,
  hashHasNoClient: !("createClient" in hash),
}));
`;

describe("npm pack, installed into an empty project", { timeout: 600_000 }, () => {
  before(() => {
    const tarball = run("npm", ["pack", "--silent", "--pack-destination", work], PACKAGE_ROOT)
      .trim()
      .split("\n")
      .at(-1)!;
    run("mkdir", ["-p", project], work);
    writeFileSync(join(project, "package.json"), '{"name": "consumer", "private": true}\n');
    run(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefer-offline", join(work, tarball)],
      project,
    );
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("ships the license, both builds and no tests", () => {
    const installed = join(project, "node_modules", "datasync-engine");
    const top = readdirSync(installed).sort();
    assert.ok(top.includes("LICENSE") && top.includes("package.json"), top.join(","));
    assert.deepEqual(readdirSync(join(installed, "dist")).sort(), ["cjs", "src"]);
  });

  for (const [kind, load, flags] of [
    [
      "import",
      'import * as main from "datasync-engine"; import * as hash from "datasync-engine/hash";',
      ["--input-type=module"],
    ],
    [
      "require",
      'const main = require("datasync-engine"); const hash = require("datasync-engine/hash");',
      ["--input-type=commonjs"],
    ],
  ] as const) {
    it(`loads with ${kind} and hashes like Python`, () => {
      const out = JSON.parse(run(process.execPath, [...flags], project, PROGRAM(load)));
      assert.deepEqual(out, {
        main: vector.blake3,
        hash: vector.blake3,
        sha: vector.sha256_128,
        client: "function",
        hashHasNoClient: true,
      });
    });
  }
});
