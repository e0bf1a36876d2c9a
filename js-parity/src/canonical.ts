/**
 * Content hash v1: RFC 8785 (JCS) canonical bytes and their BLAKE3 / SHA-256-128 hashes,
 * byte-identical to Python's `datasync.canonical`.
 *
 * Values are checked first (same codes and paths as Python), then serialized by the
 * `canonicalize` package (RFC 8785 by the RFC's co-author) and hashed with `@noble/hashes`.
 */

import { blake3 } from "@noble/hashes/blake3.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import jcs from "canonicalize";

import { CanonicalError, UnknownSchemeError } from "./errors.js";
import { jsonPath } from "./path.js";
import { MAX_DEPTH } from "./value.js";

export type Scheme = "blake3" | "sha256-128";
export const SCHEMES: readonly Scheme[] = ["blake3", "sha256-128"];

/** An example's content; a missing (`undefined` or `null`) output or metadata means `{}`. */
export interface ExampleContent {
  input: unknown;
  output?: unknown;
  metadata?: unknown;
}

const UTF8 = new TextEncoder();

/**
 * RFC 8785 canonical UTF-8 bytes of `value`.
 *
 * Throws {@link CanonicalError}: `non_finite_number`, `lone_surrogate` (in a string or a key),
 * `not_json_type` (Date, Map, Set, class instances, boxed primitives, functions, symbols,
 * bigint, and `undefined` at the top or inside an array, including array holes),
 * `non_string_key` (an enumerable symbol key) and `too_deep` (more than 128 nested
 * containers; cycles end there too). Object members whose value is `undefined` are left out,
 * as `JSON.stringify` and RFC 8785 implementations do. `-0` is written `0`.
 */
export function canonicalize(value: unknown): Uint8Array {
  check(value, "$", 0, false);
  return UTF8.encode(jcs(value) as string);
}

/** Canonical bytes of `{"input": I, "output": O, "metadata": M}` (missing parts are `{}`). */
export function canonicalContent(content: ExampleContent): Uint8Array {
  return canonicalize(contentObject(content));
}

/** Hash already-canonical bytes with `scheme`; lowercase hex (64 or 32 characters). */
export function hashBytes(data: Uint8Array, scheme: Scheme = "blake3"): string {
  if (scheme === "blake3") {
    return bytesToHex(blake3(data));
  }
  if (scheme === "sha256-128") {
    return bytesToHex(sha256(data).subarray(0, 16));
  }
  throw new UnknownSchemeError(scheme);
}

/**
 * Content hash v1 of an example: `scheme` (default `blake3`) over its canonical content.
 *
 * `input`, `output` and `metadata` must be plain objects (`null`/`undefined` output or
 * metadata mean `{}`), else `not_an_object` at `$.input` / `$.output` / `$.metadata`.
 * Throws {@link UnknownSchemeError} for an unknown scheme and {@link CanonicalError} for every
 * refusal of {@link canonicalize}, with paths under `$.input`, `$.output`, `$.metadata`.
 */
export function contentHash(
  content: ExampleContent,
  options: { scheme?: Scheme } = {},
): string {
  const scheme = options.scheme ?? "blake3";
  if (!SCHEMES.includes(scheme)) {
    throw new UnknownSchemeError(scheme);
  }
  return hashBytes(canonicalContent(content), scheme);
}

function contentObject(content: ExampleContent): Record<string, unknown> {
  const parts: Record<string, unknown> = {
    input: content.input,
    output: content.output ?? {},
    metadata: content.metadata ?? {},
  };
  for (const [name, part] of Object.entries(parts)) {
    if (!isPlainObject(part)) {
      throw new CanonicalError(
        "not_an_object",
        `$.${name}`,
        `${name} must be a JSON object, not ${describe(part)}`,
      );
    }
  }
  return parts;
}

/** Whether `value` is an object literal / `JSON.parse` object (prototype Object or null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") {
    return false;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Refuse what content hash v1 refuses, in the order Python's `_clean` walks. */
function check(value: unknown, path: string, depth: number, inObject: boolean): void {
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed()) {
        throw new CanonicalError("lone_surrogate", path, "string holds a lone UTF-16 surrogate");
      }
      return;
    case "number":
      if (!Number.isFinite(value)) {
        throw new CanonicalError("non_finite_number", path, `number ${value} is not finite`);
      }
      return;
    case "boolean":
      return;
    case "undefined":
      if (inObject) {
        return; // dropped by JCS, like JSON.stringify does
      }
      break;
    case "object":
      if (value === null) {
        return;
      }
      if (Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype) {
        checkArray(value as unknown[], path, depth + 1);
        return;
      }
      if (isPlainObject(value)) {
        checkObject(value, path, depth + 1);
        return;
      }
      break;
    default:
      break;
  }
  throw new CanonicalError("not_json_type", path, `value of type ${describe(value)} is not a JSON type`);
}

function checkArray(value: unknown[], path: string, depth: number): void {
  if (depth > MAX_DEPTH) {
    throw new CanonicalError("too_deep", path, `nesting deeper than ${MAX_DEPTH}`);
  }
  for (let i = 0; i < value.length; i++) {
    // A hole reads as undefined and is refused like undefined.
    check(value[i], jsonPath(path, i), depth, false);
  }
}

function checkObject(value: Record<string, unknown>, path: string, depth: number): void {
  if (depth > MAX_DEPTH) {
    throw new CanonicalError("too_deep", path, `nesting deeper than ${MAX_DEPTH}`);
  }
  for (const symbol of Object.getOwnPropertySymbols(value)) {
    if (Object.prototype.propertyIsEnumerable.call(value, symbol)) {
      throw new CanonicalError("non_string_key", path, `object key ${String(symbol)} is not a string`);
    }
  }
  for (const key of Object.keys(value)) {
    const child = jsonPath(path, key);
    if (!key.isWellFormed()) {
      throw new CanonicalError("lone_surrogate", child, "object key holds a lone UTF-16 surrogate");
    }
    check(value[key], child, depth, true);
  }
}

function describe(value: unknown): string {
  if (value === null) {
    return "null";
  }
  if (Array.isArray(value)) {
    return "array";
  }
  if (typeof value === "object") {
    const proto: unknown = Object.getPrototypeOf(value);
    const ctor: unknown = proto === null ? undefined : (proto as { constructor?: unknown }).constructor;
    return typeof ctor === "function" && ctor.name !== "" ? ctor.name : "object";
  }
  return typeof value;
}
