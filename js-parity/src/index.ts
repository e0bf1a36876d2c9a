/**
 * datasync content hash v1 in TypeScript, byte-identical to Python's `datasync.canonical`.
 *
 * ```ts
 * import { contentHash, parseStrict } from "@datasync/js-parity";
 * contentHash({ input: { q: "2+2?" }, output: { a: "4" } }); // blake3, 64 hex
 * ```
 */

export {
  canonicalContent,
  canonicalize,
  contentHash,
  hashBytes,
  isPlainObject,
  SCHEMES,
  type ExampleContent,
  type Scheme,
} from "./canonical.js";
export { CanonicalError, UnknownSchemeError, type CanonicalErrorCode } from "./errors.js";
export { parseStrict } from "./parse.js";
export { jsonPath } from "./path.js";
export { MAX_DEPTH, type JsonObject, type JsonValue } from "./value.js";
export * from "./client/index.js";
