/**
 * `datasync-hash`: read JSON text lines on stdin, answer one JSON line per input line.
 *
 * Each line is an example `{"input":…,"output":…,"metadata":…}` (other members, such as an
 * id, are ignored), or with `--canonical` any JSON value. The answer is
 * `{"canonical_hex":…,"blake3":…,"sha256_128":…}` or `{"error":{"code":…,"path":…,"message":…}}`.
 * An error on one line never stops the stream; answers are written as soon as a line is
 * complete, so one long-lived process can serve a caller that writes a line and waits.
 */

import { canonicalContent, canonicalize, hashBytes, isPlainObject } from "./canonical.js";
import { CanonicalError } from "./errors.js";
import { parseStrict } from "./parse.js";

export type Mode = "example" | "canonical";

const USAGE = `usage: datasync-hash [--canonical]

Reads JSON text lines on stdin and writes one JSON line per input line:
  {"canonical_hex": ..., "blake3": ..., "sha256_128": ...}   or
  {"error": {"code": ..., "path": ..., "message": ...}}
Lines are examples {"input":...,"output":...,"metadata":...} (content hash v1);
with --canonical, any JSON value is canonicalized and hashed as is.
`;

/** The answer line (without newline) for one input line of JSON text. */
export function answerLine(line: Uint8Array, mode: Mode): string {
  try {
    const value = parseStrict(line);
    const bytes = mode === "canonical" ? canonicalize(value) : exampleBytes(value);
    return JSON.stringify({
      canonical_hex: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex"),
      blake3: hashBytes(bytes, "blake3"),
      sha256_128: hashBytes(bytes, "sha256-128"),
    });
  } catch (err) {
    if (err instanceof CanonicalError) {
      return JSON.stringify({ error: { code: err.code, path: err.path, message: err.message } });
    }
    throw err;
  }
}

/** An example line that is not an object is refused as `not_an_object` at `$`. */
function exampleBytes(value: unknown): Uint8Array {
  if (!isPlainObject(value)) {
    throw new CanonicalError("not_an_object", "$", "an example line must be a JSON object");
  }
  const member = (name: string): unknown => (Object.hasOwn(value, name) ? value[name] : undefined);
  return canonicalContent({
    input: member("input"),
    output: member("output"),
    metadata: member("metadata"),
  });
}

/** Run the command on stdin/stdout; resolves to the exit status. */
export async function main(args: readonly string[]): Promise<number> {
  let mode: Mode = "example";
  for (const arg of args) {
    if (arg === "--canonical") {
      mode = "canonical";
    } else if (arg === "-h" || arg === "--help") {
      process.stdout.write(USAGE);
      return 0;
    } else {
      process.stderr.write(`datasync-hash: unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
      return 2;
    }
  }
  let pending: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    const answers: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      pending.push(chunk.subarray(start, nl));
      answers.push(answerLine(Buffer.concat(pending), mode));
      pending = [];
      start = nl + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
    }
    if (answers.length > 0) {
      process.stdout.write(answers.join("\n") + "\n");
    }
  }
  const last = Buffer.concat(pending);
  if (last.length > 0) {
    // A final line without a newline still gets its answer.
    process.stdout.write(answerLine(last, mode) + "\n");
  }
  return 0;
}
