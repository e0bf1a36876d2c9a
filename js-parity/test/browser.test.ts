/**
 * `datasync-engine/hash` in a browser: bundled by esbuild for `--platform=browser` (no Node
 * built-in may be needed), run in headless Chromium, it gives every golden vector's canonical
 * bytes and hashes exactly as Python recorded them. Chromium is the system's
 * (`/usr/bin/chromium`, or $CHROMIUM); .ci/run installs it.
 */

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

import { build } from "esbuild";
import { chromium } from "playwright-core";

import { golden, PACKAGE_ROOT, type ValidVector } from "./helpers.js";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

async function browserBundle(): Promise<string> {
  const result = await build({
    entryPoints: [join(PACKAGE_ROOT, "src", "hash.ts")],
    bundle: true,
    platform: "browser",
    format: "iife",
    globalName: "datasyncHash",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

describe("datasync-engine/hash in headless Chromium", { timeout: 300_000 }, () => {
  it("bundles for the browser without Node built-ins", async () => {
    const code = await browserBundle();
    assert.doesNotMatch(code, /\brequire\(|from\s*["']node:|\bBuffer\b|process\.env/);
  });

  it("hashes every golden vector to Python's bytes", async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium`);
    const vectors = golden<ValidVector>("valid.jsonl");
    const code = await browserBundle();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      await page.setContent("<!doctype html><title>datasync hash</title>");
      await page.addScriptTag({ content: code });
      const results = await page.evaluate((jsons: string[]) => {
        // Runs in the page: only the bundle's global and browser APIs exist here.
        const lib = (globalThis as unknown as Record<string, any>)["datasyncHash"];
        const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
        return {
          hasProcess: typeof (globalThis as Record<string, unknown>)["process"] !== "undefined",
          answers: jsons.map((json) => {
            const ex = lib.parseStrict(json);
            const bytes: Uint8Array = lib.canonicalContent({
              input: ex.input,
              output: ex.output,
              metadata: ex.metadata,
            });
            return [hex(bytes), lib.hashBytes(bytes, "blake3"), lib.hashBytes(bytes, "sha256-128")];
          }),
        };
      }, vectors.map((v) => v.json));
      assert.equal(results.hasProcess, false);
      assert.equal(results.answers.length, vectors.length);
      results.answers.forEach((answer, i) => {
        const v = vectors[i]!;
        assert.deepEqual(answer, [v.canonical_hex, v.blake3, v.sha256_128], v.name);
      });
    } finally {
      await browser.close();
    }
  });
});
