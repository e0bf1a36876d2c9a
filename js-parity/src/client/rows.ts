/**
 * Rows (plain objects) -> examples, by the column mapping of Python's `examples_from_rows`
 * (docs/sources.md, "Column mapping"), so the same rows hash the same in both languages:
 *
 * - Shaped rows (no `*Keys` given) hold `input` and optionally `output` and `metadata`
 *   objects (`null`/missing mean `{}`). Flat rows are split by `inputKeys` (required then),
 *   `outputKeys`, `metadataKeys`.
 * - Every other top-level key except the source id key goes into metadata.
 * - The source id comes from `sourceIdKey` (default `"id"`; a dotted path such as `meta.uid`
 *   walks nested objects when no top-level key has that name) or `sourceIdFn(row)`.
 *   Integers become their decimal string; other types, empty strings and lone surrogates are
 *   refused. Duplicate ids are refused all at once, each with its rows.
 */

import { canonicalize, contentHash, isPlainObject } from "../canonical.js";
import { CanonicalError } from "../errors.js";
import { SourceError, UsageError } from "./errors.js";

export type Row = Record<string, unknown>;
export type JsonObject = Record<string, unknown>;

/** How rows become examples. */
export interface RowMapping {
  sourceIdKey?: string;
  sourceIdFn?: (row: Row) => unknown;
  inputKeys?: readonly string[];
  outputKeys?: readonly string[];
  metadataKeys?: readonly string[];
}

/** One mapped, hashed example. */
export interface LocalExample {
  sourceId: string;
  input: JsonObject;
  output: JsonObject;
  metadata: JsonObject;
  hash: string;
}

const PARTS = ["input", "output", "metadata"] as const;
const SHOWN = 5;

/** Throws {@link UsageError} (`bad_option`) for contradictory or malformed options. */
export function checkMapping(mapping: RowMapping): void {
  const bad = (message: string): never => {
    throw new UsageError(message, { code: "bad_option" });
  };
  if (mapping.sourceIdKey !== undefined && mapping.sourceIdFn !== undefined) {
    bad("give sourceIdKey or sourceIdFn, not both");
  }
  if (mapping.sourceIdKey !== undefined && (typeof mapping.sourceIdKey !== "string" || !mapping.sourceIdKey)) {
    bad("sourceIdKey must be a non-empty string");
  }
  if (mapping.sourceIdFn !== undefined && typeof mapping.sourceIdFn !== "function") {
    bad("sourceIdFn must be a function");
  }
  const seen = new Map<string, string>();
  for (const name of ["inputKeys", "outputKeys", "metadataKeys"] as const) {
    const keys = mapping[name];
    if (keys === undefined) continue;
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string" && k)) {
      bad(`${name} must be an array of non-empty strings`);
    }
    for (const key of keys) {
      const other = seen.get(key);
      if (other !== undefined) bad(`key ${JSON.stringify(key)} is listed in both ${other} and ${name}`);
      seen.set(key, name);
    }
  }
  const flat = mapping.outputKeys !== undefined || mapping.metadataKeys !== undefined;
  if (flat && mapping.inputKeys === undefined) {
    bad("inputKeys is required to split flat rows (outputKeys/metadataKeys given)");
  }
}

function sourceError(message: string, code: string, location: string, details: JsonObject = {}): SourceError {
  return new SourceError(`${location}: ${message}`, { code, details: { ...details, location } });
}

/** A source id as a non-empty string: integers become decimal strings, the rest is refused. */
export function normalizeSourceId(value: unknown, location: string, origin: string): string {
  if (typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value))) {
    return BigInt(value).toString();
  }
  if (typeof value === "string") {
    if (!value) throw sourceError(`empty source id (from ${origin})`, "empty_source_id", location);
    if (!value.isWellFormed()) {
      throw sourceError(`source id (from ${origin}) holds a lone UTF-16 surrogate`, "invalid_source_id", location);
    }
    return value;
  }
  if (value === null || value === undefined) {
    throw sourceError(`source id (from ${origin}) is ${String(value)}`, "missing_source_id", location);
  }
  throw sourceError(
    `source id (from ${origin}) must be a string or an integer, not ${typeof value}`,
    "invalid_source_id",
    location,
  );
}

function sourceIdOf(row: Row, mapping: RowMapping, location: string): string {
  if (mapping.sourceIdFn !== undefined) {
    return normalizeSourceId(mapping.sourceIdFn(row), location, "sourceIdFn");
  }
  const key = mapping.sourceIdKey ?? "id";
  let value: unknown = Object.hasOwn(row, key) ? row[key] : undefined;
  let found = Object.hasOwn(row, key);
  if (!found && key.includes(".")) {
    value = row;
    found = true;
    for (const part of key.split(".")) {
      if (isPlainObject(value) && Object.hasOwn(value, part)) {
        value = value[part];
      } else {
        found = false;
        break;
      }
    }
  }
  if (!found) {
    throw sourceError(`no source id: the row has no key ${JSON.stringify(key)}`, "missing_source_id", location);
  }
  return normalizeSourceId(value, location, JSON.stringify(key));
}

function shaped(row: Row, location: string): [JsonObject, JsonObject, JsonObject] {
  if (!Object.hasOwn(row, "input")) {
    throw sourceError("the row has no 'input' object (pass inputKeys to split flat rows)", "missing_key", location);
  }
  const parts = PARTS.map((name) => {
    let value = row[name];
    if ((value === null || value === undefined) && name !== "input") value = {};
    if (!isPlainObject(value)) {
      throw sourceError(`${name} must be a JSON object`, "not_an_object", location, { path: `$.${name}` });
    }
    return { ...value };
  });
  return parts as [JsonObject, JsonObject, JsonObject];
}

function pick(row: Row, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const key of keys) {
    if (Object.hasOwn(row, key)) out[key] = row[key];
  }
  return out;
}

/** The example of one row (not yet hashed). Throws {@link SourceError} naming `location`. */
export function toExample(row: unknown, mapping: RowMapping, location: string): Omit<LocalExample, "hash"> {
  if (!isPlainObject(row)) {
    throw sourceError("a row must be a plain object", "not_an_object", location);
  }
  const sourceId = sourceIdOf(row, mapping, location);
  const claimed = new Set<string>();
  const idKey = mapping.sourceIdFn === undefined ? (mapping.sourceIdKey ?? "id") : undefined;
  if (idKey !== undefined && Object.hasOwn(row, idKey)) claimed.add(idKey);
  let input: JsonObject;
  let output: JsonObject;
  let metadata: JsonObject;
  if (mapping.inputKeys === undefined) {
    [input, output, metadata] = shaped(row, location);
    PARTS.forEach((p) => claimed.add(p));
  } else {
    input = pick(row, mapping.inputKeys);
    output = pick(row, mapping.outputKeys ?? []);
    metadata = pick(row, mapping.metadataKeys ?? []);
    for (const key of [...mapping.inputKeys, ...(mapping.outputKeys ?? []), ...(mapping.metadataKeys ?? [])]) {
      claimed.add(key);
    }
  }
  for (const key of Object.keys(row)) {
    if (claimed.has(key)) continue;
    if (Object.hasOwn(metadata, key)) {
      throw sourceError(`key ${JSON.stringify(key)} is both a column and a metadata key`, "duplicate_key", location, {
        path: `$.metadata.${key}`,
      });
    }
    metadata[key] = row[key];
  }
  return { sourceId, input, output, metadata };
}

/**
 * Map and hash every row (content hash v1, blake3). Locations read `<rows> row N`
 * (0-based). Throws {@link SourceError}: the first bad row (a refused value carries the hash
 * library's code and `details.path`), or every duplicated id with its rows
 * (`duplicate_source_id`). Nothing is sent before this succeeds.
 */
export async function hashRows(
  rows: Iterable<unknown> | AsyncIterable<unknown>,
  mapping: RowMapping,
): Promise<Map<string, LocalExample>> {
  checkMapping(mapping);
  const out = new Map<string, LocalExample>();
  const firstRow = new Map<string, number>();
  const duplicates = new Map<string, number[]>();
  let n = 0;
  for await (const row of rows) {
    const location = `<rows> row ${n}`;
    // The whole row is checked first, as Python does, so a refusal names the row's path.
    refused(() => canonicalize(row), location);
    const example = toExample(row, mapping, location);
    const hash = refused(() => contentHash(example), location);
    const first = firstRow.get(example.sourceId);
    if (first === undefined) {
      firstRow.set(example.sourceId, n);
      out.set(example.sourceId, { ...example, hash });
    } else {
      duplicates.set(example.sourceId, [...(duplicates.get(example.sourceId) ?? [first]), n]);
    }
    n += 1;
  }
  if (duplicates.size > 0) throw duplicateError(duplicates);
  return out;
}

function refused<T>(fn: () => T, location: string): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CanonicalError) {
      throw sourceError(`${err.reason} at ${err.path}`, err.code, location, { path: err.path });
    }
    throw err;
  }
}

function duplicateError(duplicates: Map<string, number[]>): SourceError {
  const listed: Record<string, string[]> = {};
  for (const [id, positions] of duplicates) listed[id] = positions.map((p) => `<rows> row ${p}`);
  const entries = Object.entries(listed);
  const parts = entries.slice(0, SHOWN).map(([id, locs]) => `${JSON.stringify(id)} at ${locs.slice(0, SHOWN).join(", ")}`);
  const extra = entries.length > SHOWN ? ` and ${entries.length - SHOWN} more` : "";
  const location = (entries[0] as [string, string[]])[1][1] as string;
  return new SourceError(`${entries.length} duplicate source id(s): ${parts.join("; ")}${extra}`, {
    code: "duplicate_source_id",
    details: { duplicates: listed, location },
  });
}
