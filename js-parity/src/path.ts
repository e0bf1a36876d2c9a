/** JSON paths in the exact format of Python's `datasync.canonical.json_path`. */

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The JSON path of `key` under `parent`: `$.a`, `$["a b"]`, `$.a[3]`.
 *
 * Keys that are not plain identifiers are written as JSON strings in brackets. Node 20's
 * `JSON.stringify` is well-formed (ES2019): lone surrogates come out as `\udxxx` in lower
 * case and other controls as `\u00xx`, exactly what Python's `_quote` writes.
 */
export function jsonPath(parent: string, key: string | number): string {
  if (typeof key === "number") {
    return `${parent}[${key}]`;
  }
  if (PLAIN_KEY.test(key)) {
    return `${parent}.${key}`;
  }
  return `${parent}[${JSON.stringify(key)}]`;
}
