/** Shared test helpers: where the golden vectors live and how a vector is processed. */

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

import { canonicalContent, isPlainObject, parseStrict } from "../src/index.js";

/** js-parity/ (tests run from dist/test/). */
export const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const GOLDEN_DIR = fileURLToPath(new URL("../../../golden_vectors/", import.meta.url));
export const BIN = fileURLToPath(new URL("../../bin/datasync-hash.mjs", import.meta.url));

export interface ValidVector {
  name: string;
  json: string;
  canonical: string;
  canonical_hex: string;
  blake3: string;
  sha256_128: string;
}

export interface InvalidVector {
  name: string;
  json?: string;
  json_hex?: string;
  code: string;
  path: string;
}

export interface UpstreamVector {
  name: string;
  input_json: string;
  canonical_hex: string;
}

export function readJsonl<T>(path: string): T[] {
  let text: string;
  if (path.endsWith(".gz")) {
    text = gunzipSync(readFileSync(path)).toString("utf8");
  } else {
    text = readFileSync(path, "utf8");
  }
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);
}

/** A golden vector file; a missing file fails the test (the vectors are the contract). */
export function golden<T>(file: string): T[] {
  const path = GOLDEN_DIR + file;
  if (!existsSync(path)) {
    throw new Error(`golden vector file ${path} is missing`);
  }
  return readJsonl<T>(path);
}

/** The raw bytes of an invalid vector (`json` as UTF-8, or `json_hex`). */
export function invalidBytes(vector: InvalidVector): Uint8Array {
  if (vector.json_hex !== undefined) {
    return Buffer.from(vector.json_hex, "hex");
  }
  return Buffer.from(vector.json ?? "", "utf8");
}

/** What a golden vector means: parse strictly, then take the example's canonical content. */
export function processExample(text: string | Uint8Array): Uint8Array {
  const example = parseStrict(text);
  if (!isPlainObject(example)) {
    throw new Error("golden vectors are example objects");
  }
  return canonicalContent({ input: example.input, output: example.output, metadata: example.metadata });
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Run the bin once with `lines` on stdin; return its answers, parsed. */
export function runBin(lines: readonly (string | Uint8Array)[], args: readonly string[] = []): unknown[] {
  const input = Buffer.concat(lines.flatMap((l) => [Buffer.from(l), Buffer.from("\n")]));
  const done = spawnSync(process.execPath, [BIN, ...args], { input, maxBuffer: 1 << 28 });
  if (done.status !== 0) {
    throw new Error(`datasync-hash exited ${done.status}: ${done.stderr.toString()}`);
  }
  return done.stdout
    .toString("utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as unknown);
}
