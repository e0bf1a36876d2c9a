/**
 * datasync for TypeScript: content hash v1 (byte-identical to Python's `datasync.canonical`,
 * also alone as `datasync-engine/hash`) and the client of a datasync server (Node).
 *
 * ```ts
 * import { contentHash, parseStrict } from "datasync-engine";
 * contentHash({ input: { q: "2+2?" }, output: { a: "4" } }); // blake3, 64 hex
 * ```
 */

export * from "./hash.js";
export * from "./client/index.js";
