// Independent cross-check of the golden vectors with JavaScript implementations.
//
//   mkdir -p /tmp/xcheck && cd /tmp/xcheck && npm init -y && \
//     npm install canonicalize@5.1.0 hash-wasm@4
//   NODE_PATH=/tmp/xcheck/node_modules node golden_vectors/crosscheck.mjs   # from the repo root
//
// (ES modules ignore NODE_PATH, so the packages are loaded by absolute path from XCHECK_DIR,
// default /tmp/xcheck.) Nothing here comes from datasync: canonical bytes are
// JSON.parse + canonicalize (erdtman's RFC 8785 package, the JavaScript number and string
// serializer), hashes are hash-wasm's BLAKE3 and SHA-256 and Node's own crypto SHA-256.
// Valid vectors: every field must match. Invalid vectors: the refusal is confirmed where
// JavaScript can see it on its own (see README.md, "Cross-checks"); duplicate keys are
// invisible to JSON.parse and are reported as not checkable.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const xcheck = process.env.XCHECK_DIR ?? "/tmp/xcheck";
const load = (pkg, file) => import(pathToFileURL(join(xcheck, "node_modules", pkg, file)).href);
const { default: canonicalize } = await load("canonicalize", "lib/canonicalize.js");
const { blake3, sha256 } = await load("hash-wasm", "dist/index.esm.js");

const lines = (name) =>
  readFileSync(join(here, name), "utf8").split("\n").filter((l) => l).map((l) => JSON.parse(l));

let failures = 0;
const fail = (name, what) => {
  failures += 1;
  console.log(`FAIL ${name}: ${what}`);
};

let validCount = 0;
for (const v of lines("valid.jsonl")) {
  const ex = JSON.parse(v.json);
  // A missing (or null) output / metadata is {}.
  const content = { input: ex.input, output: ex.output ?? {}, metadata: ex.metadata ?? {} };
  const bytes = Buffer.from(canonicalize(content), "utf8");
  if (bytes.toString("hex") !== v.canonical_hex) fail(v.name, "canonical bytes differ");
  if (Buffer.from(v.canonical, "utf8").toString("hex") !== v.canonical_hex)
    fail(v.name, "canonical text is not canonical_hex");
  if ((await blake3(bytes)) !== v.blake3) fail(v.name, "blake3 differs");
  const sha = createHash("sha256").update(bytes).digest("hex");
  if ((await sha256(bytes)) !== sha) fail(v.name, "hash-wasm and node sha256 disagree");
  if (sha.slice(0, 32) !== v.sha256_128) fail(v.name, "sha256_128 differs");
  validCount += 1;
}

function depth(root) {
  let max = 0;
  const stack = [[root, 1]];
  while (stack.length) {
    const [value, d] = stack.pop();
    if (value === null || typeof value !== "object") continue;
    max = Math.max(max, d);
    for (const child of Object.values(value)) stack.push([child, d + 1]);
  }
  return max;
}
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const strings = (value) =>
  typeof value === "string"
    ? [value]
    : value !== null && typeof value === "object"
      ? Object.entries(value).flatMap(([k, v]) => (Array.isArray(value) ? [] : [k]).concat(strings(v)))
      : [];
const numbers = (value) =>
  typeof value === "number"
    ? [value]
    : value !== null && typeof value === "object"
      ? Object.values(value).flatMap(numbers)
      : [];

function jsSees(v) {
  const raw = v.json_hex !== undefined ? Buffer.from(v.json_hex, "hex") : Buffer.from(v.json, "utf8");
  if (v.code === "invalid_utf8") {
    try {
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(raw);
      return false;
    } catch {
      return true;
    }
  }
  if (v.code === "byte_order_mark") return raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf;
  let ex;
  try {
    ex = JSON.parse(raw.toString("utf8"));
  } catch {
    // JSON.parse knows no NaN / Infinity literals: a syntax error for it.
    return v.code === "invalid_json" || (v.code === "non_finite_number" && /NaN|Infinity/.test(v.json));
  }
  if (v.code === "invalid_json") return false;
  if (v.code === "inexact_integer") {
    // JSON.parse rounds silently, so compare each integer literal with BigInt (these vectors
    // hold no digits inside strings, so a token scan is enough).
    const literals = v.json.match(/(?<=[:\[,])-?\d+(?=[,\]}])/g) ?? [];
    return literals.some((l) => !Number.isFinite(Number(l)) || BigInt(Number(l)) !== BigInt(l));
  }
  if (v.code === "non_finite_number") return numbers(ex).some((n) => !Number.isFinite(n));
  if (v.code === "lone_surrogate") return strings(ex).some((s) => !s.isWellFormed());
  if (v.code === "too_deep") return depth(ex) > 128;
  if (v.code === "not_an_object")
    return !isObject(ex.input) || [ex.output, ex.metadata].some((p) => p != null && !isObject(p));
  return null; // duplicate_key: JSON.parse silently keeps the last value
}

const unchecked = {};
let invalidCount = 0;
for (const v of lines("invalid.jsonl")) {
  const seen = jsSees(v);
  if (seen === null) unchecked[v.code] = (unchecked[v.code] ?? 0) + 1;
  else if (!seen) fail(v.name, `JavaScript does not see ${v.code}`);
  invalidCount += 1;
}

console.log(`valid: ${validCount} checked (canonical bytes, blake3, sha256-128)`);
console.log(`invalid: ${invalidCount}, not checkable by JSON.parse: ${JSON.stringify(unchecked)}`);
console.log(failures ? `${failures} FAILURES` : "all agree");
process.exit(failures ? 1 : 0);
