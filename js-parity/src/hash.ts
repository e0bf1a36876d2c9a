/**
 * `datasync-engine/hash`: content hash v1 only, for browsers, Deno, Bun and Node.
 *
 * No `node:` import, no `Buffer`: `TextEncoder` and `@noble/hashes` (pure JavaScript BLAKE3
 * and SHA-256), so a bundler targeting the browser takes it as it is.
 *
 * ```ts
 * import { contentHash } from "datasync-engine/hash";
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
