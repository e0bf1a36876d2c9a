/**
 * Errors of content hash v1, mirroring `datasync.errors.CanonicalError` in Python.
 *
 * Every refusal is a {@link CanonicalError} whose `code` and JSON `path` are the ones Python
 * reports for the same JSON text (the cross-language differential test checks this).
 */

/** The stable codes shared with Python (`datasync/canonical.py`). */
export type CanonicalErrorCode =
  | "invalid_json"
  | "invalid_utf8"
  | "byte_order_mark"
  | "duplicate_key"
  | "non_finite_number"
  | "inexact_integer"
  | "lone_surrogate"
  | "non_string_key"
  | "not_json_type"
  | "too_deep"
  | "not_an_object";

/** A value refused by content hash v1; `path` is its JSON path (`$.input.a[3]`). */
export class CanonicalError extends Error {
  override readonly name = "CanonicalError";

  constructor(
    readonly code: CanonicalErrorCode,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`[${code}] ${reason} at ${path}`);
  }
}

/** A hash scheme other than `blake3` or `sha256-128` (Python's `UsageError`, same code). */
export class UnknownSchemeError extends Error {
  override readonly name = "UnknownSchemeError";
  readonly code = "unknown_scheme";

  constructor(readonly scheme: string) {
    super(`unknown hash scheme ${JSON.stringify(scheme)}; choose one of blake3, sha256-128`);
  }
}
