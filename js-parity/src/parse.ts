/**
 * `parseStrict`: a small strict JSON reader that refuses exactly what Python's
 * `datasync.canonical.loads_strict` refuses, with the same code and JSON path.
 *
 * `JSON.parse` cannot be used: it keeps the last of duplicate keys silently and turns the
 * integer literal `9007199254740993` into `9007199254740992` before anyone can look at it.
 *
 * Order of refusals (as in Python): bytes that are not UTF-8, then a byte-order mark, then any
 * syntax error anywhere in the text (`invalid_json` at `$`), then the first value error in
 * document order (for an object: each key, then its value; a duplicate key is reported at
 * its second occurrence). The parser is iterative, so 100,000 nested arrays are refused with
 * `too_deep` instead of overflowing the call stack.
 */

import { CanonicalError, type CanonicalErrorCode } from "./errors.js";
import { jsonPath } from "./path.js";
import { MAX_DEPTH, type JsonObject, type JsonValue } from "./value.js";

/** Integers up to this many digits are exact doubles (10^15 < 2^53). */
const ALWAYS_EXACT_DIGITS = 15;
/** More digits than this is beyond the double range (Python's `_MAX_INT_DIGITS`). */
const MAX_INT_DIGITS = 309;

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

interface Frame {
  readonly container: JsonValue[] | JsonObject;
  readonly isObject: boolean;
  key: string;
}

class SyntaxFailure extends Error {}

/**
 * Parse JSON text under the strict rules and return plain values (objects with
 * `Object.prototype`, arrays, strings, finite numbers, booleans, `null`).
 *
 * `text` may be a string or UTF-8 bytes. Throws {@link CanonicalError} with code
 * `invalid_utf8`, `byte_order_mark`, `invalid_json`, `duplicate_key`, `non_finite_number`
 * (`NaN`, `Infinity`, `1e400`), `inexact_integer` (an integer literal that is not exactly a
 * double), `lone_surrogate` or `too_deep` (more than 128 nested containers).
 */
export function parseStrict(text: string | Uint8Array): JsonValue {
  if (typeof text !== "string") {
    try {
      text = UTF8.decode(text);
    } catch {
      throw new CanonicalError("invalid_utf8", "$", "JSON text is not valid UTF-8");
    }
  }
  if (text.charCodeAt(0) === 0xfeff) {
    throw new CanonicalError("byte_order_mark", "$", "JSON text starts with a byte-order mark");
  }
  return new Parser(text).parse();
}

class Parser {
  private pos = 0;
  private readonly stack: Frame[] = [];
  private firstError: CanonicalError | null = null;
  // Text from UTF-8 is always well-formed; a JS string may hold raw lone surrogates.
  private readonly wellFormed: boolean;

  constructor(private readonly text: string) {
    this.wellFormed = text.isWellFormed();
  }

  parse(): JsonValue {
    let result: JsonValue;
    try {
      result = this.parseDocument();
    } catch (err) {
      if (err instanceof SyntaxFailure) {
        throw new CanonicalError("invalid_json", "$", `${err.message} (${this.lineColumn()})`);
      }
      throw err;
    }
    if (this.firstError !== null) {
      throw this.firstError;
    }
    return result;
  }

  private parseDocument(): JsonValue {
    const stack = this.stack;
    let value: JsonValue;
    for (;;) {
      // Parse one value; containers push a frame and continue with their first child.
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        if (stack.length + 1 > MAX_DEPTH) {
          this.refuse("too_deep", `nesting deeper than ${MAX_DEPTH}`);
        }
        const isObject = c === 0x7b;
        const frame: Frame = { container: isObject ? {} : [], isObject, key: "" };
        this.pos++;
        this.skipWhitespace();
        const close = isObject ? 0x7d : 0x5d;
        if (this.text.charCodeAt(this.pos) === close) {
          this.pos++;
          value = frame.container;
        } else {
          stack.push(frame);
          if (isObject) {
            this.parseKey(frame);
          }
          continue;
        }
      } else {
        value = this.parseScalar(c);
      }
      // Hand `value` to its parent; close every container that ends here.
      for (;;) {
        const frame = stack[stack.length - 1];
        if (frame === undefined) {
          this.skipWhitespace();
          if (this.pos !== this.text.length) {
            this.fail("Extra data");
          }
          return value;
        }
        this.store(frame, value);
        this.skipWhitespace();
        const c2 = this.text.charCodeAt(this.pos++);
        if (c2 === 0x2c /* , */) {
          if (frame.isObject) {
            this.skipWhitespace();
            this.parseKey(frame);
          }
          break;
        }
        if (c2 !== (frame.isObject ? 0x7d : 0x5d)) {
          this.pos--;
          this.fail(frame.isObject ? "Expecting ',' delimiter or '}'" : "Expecting ',' or ']'");
        }
        stack.pop();
        value = frame.container;
      }
    }
  }

  private store(frame: Frame, value: JsonValue): void {
    if (!frame.isObject) {
      (frame.container as JsonValue[]).push(value);
    } else if (frame.key === "__proto__") {
      // Plain assignment would set the prototype; define an own, enumerable member instead.
      Object.defineProperty(frame.container, "__proto__", {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else {
      (frame.container as JsonObject)[frame.key] = value;
    }
  }

  /** Read `"key" :` of the next member of `frame` and check the key. */
  private parseKey(frame: Frame): void {
    if (this.text.charCodeAt(this.pos) !== 0x22) {
      this.fail("Expecting property name enclosed in double quotes");
    }
    const [key, lone] = this.parseString();
    frame.key = key;
    if (lone) {
      this.refuse("lone_surrogate", "object key holds a lone UTF-16 surrogate");
    }
    if (Object.hasOwn(frame.container, key)) {
      this.refuse("duplicate_key", `object key ${JSON.stringify(key)} appears twice`);
    }
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) !== 0x3a /* : */) {
      this.fail("Expecting ':' delimiter");
    }
    this.pos++;
  }

  private parseScalar(c: number): JsonValue {
    if (c === 0x22 /* " */) {
      const [value, lone] = this.parseString();
      if (lone) {
        this.refuse("lone_surrogate", "string holds a lone UTF-16 surrogate");
      }
      return value;
    }
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      return this.parseNumber();
    }
    for (const [word, value] of LITERALS) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        if (typeof value === "number") {
          this.refuse("non_finite_number", `number ${word} is not finite`);
        }
        return value;
      }
    }
    return this.fail("Expecting value");
  }

  private parseNumber(): number {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    if (text.charCodeAt(pos) === 0x2d) {
      pos++;
      if (text.startsWith("Infinity", pos)) {
        this.pos = pos + 8;
        this.refuse("non_finite_number", "number -Infinity is not finite");
        return 0;
      }
    }
    const first = text.charCodeAt(pos);
    if (first === 0x30) {
      pos++;
    } else if (first >= 0x31 && first <= 0x39) {
      pos = skipDigits(text, pos + 1);
    } else {
      return this.fail("Expecting value");
    }
    let isInteger = true;
    // As in Python's scanner, "1." and "1e" end the number before the dot or the e, and the
    // leftover character is then a syntax error.
    if (text.charCodeAt(pos) === 0x2e && isDigit(text.charCodeAt(pos + 1))) {
      pos = skipDigits(text, pos + 1);
      isInteger = false;
    }
    const e = text.charCodeAt(pos);
    if (e === 0x65 || e === 0x45) {
      let p = pos + 1;
      const sign = text.charCodeAt(p);
      if (sign === 0x2b || sign === 0x2d) {
        p++;
      }
      if (isDigit(text.charCodeAt(p))) {
        pos = skipDigits(text, p + 1);
        isInteger = false;
      }
    }
    this.pos = pos;
    const literal = text.slice(start, pos);
    const value = Number(literal);
    if (isInteger) {
      if (!isExactInteger(literal, value)) {
        this.refuse("inexact_integer", `integer literal ${abbreviate(literal)} is not exactly representable as a double; store it as a string`);
      }
    } else if (!Number.isFinite(value)) {
      this.refuse("non_finite_number", `number ${abbreviate(literal)} is not finite`);
    }
    return value;
  }

  /** Read a string at `pos` (on its opening quote); return it and whether it is ill-formed. */
  private parseString(): [string, boolean] {
    const text = this.text;
    let pos = this.pos + 1;
    let segment = pos;
    let out = "";
    let surrogateEscape = false;
    let lone = false;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x22 || c === 0x5c) {
        const raw = text.slice(segment, pos);
        // A raw lone surrogate stays lone in Python even next to an escaped half.
        if (!this.wellFormed && !raw.isWellFormed()) {
          lone = true;
        }
        out += raw;
        if (c === 0x22) {
          this.pos = pos + 1;
          return [out, lone || (surrogateEscape && !out.isWellFormed())];
        }
        const esc = text.charCodeAt(pos + 1);
        if (esc === 0x75 /* u */) {
          const unit = parseHex4(text, pos + 2);
          if (unit < 0) {
            this.pos = pos;
            this.fail("Invalid \\uXXXX escape");
          }
          surrogateEscape ||= unit >= 0xd800 && unit <= 0xdfff;
          out += String.fromCharCode(unit);
          pos += 6;
        } else {
          const short = SHORT_ESCAPES.get(esc);
          if (short === undefined) {
            this.pos = pos;
            this.fail("Invalid \\escape");
          }
          out += short;
          pos += 2;
        }
        segment = pos;
      } else if (c < 0x20 || Number.isNaN(c)) {
        this.pos = pos;
        this.fail(Number.isNaN(c) ? "Unterminated string" : "Invalid control character");
      } else {
        pos++;
      }
    }
  }

  private skipWhitespace(): void {
    const text = this.text;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        break;
      }
      pos++;
    }
    this.pos = pos;
  }

  /** Record a value error at the path of the value being read (only the first counts). */
  private refuse(code: CanonicalErrorCode, reason: string): void {
    if (this.firstError === null) {
      this.firstError = new CanonicalError(code, this.currentPath(), reason);
    }
  }

  private currentPath(): string {
    let path = "$";
    for (const frame of this.stack) {
      path = jsonPath(path, frame.isObject ? frame.key : (frame.container as JsonValue[]).length);
    }
    return path;
  }

  private fail(message: string): never {
    throw new SyntaxFailure(message);
  }

  private lineColumn(): string {
    const before = this.text.slice(0, this.pos);
    const line = before.split("\n").length;
    return `line ${line}, column ${this.pos - before.lastIndexOf("\n")}`;
  }
}

const LITERALS: ReadonlyArray<readonly [string, JsonValue]> = [
  ["true", true],
  ["false", false],
  ["null", null],
  // Python's reader accepts these words and datasync refuses them as non-finite numbers.
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
];

const SHORT_ESCAPES = new Map<number, string>([
  [0x22, '"'],
  [0x5c, "\\"],
  [0x2f, "/"],
  [0x62, "\b"],
  [0x66, "\f"],
  [0x6e, "\n"],
  [0x72, "\r"],
  [0x74, "\t"],
]);

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function skipDigits(text: string, pos: number): number {
  while (isDigit(text.charCodeAt(pos))) {
    pos++;
  }
  return pos;
}

function parseHex4(text: string, pos: number): number {
  const hex = text.slice(pos, pos + 4);
  return /^[0-9A-Fa-f]{4}$/.test(hex) ? Number.parseInt(hex, 16) : -1;
}

/**
 * Whether reading the integer literal as the double `value` keeps its value (Python's
 * `_keeps_value`): `value` is exactly the integer (`2**60`), or the shortest round-trip
 * decimal of `value`, which RFC 8785 writes, is exactly the integer (`1152921504606847000`
 * is how JCS writes `2**60`, `100000000000000000000000` comes back as `1e+23`). Otherwise
 * the number would silently change (`9007199254740993` reads as `9007199254740992`).
 */
function isExactInteger(literal: string, value: number): boolean {
  const digits = literal.charCodeAt(0) === 0x2d ? literal.length - 1 : literal.length;
  if (digits <= ALWAYS_EXACT_DIGITS) {
    return true;
  }
  if (digits > MAX_INT_DIGITS || !Number.isFinite(value)) {
    return false;
  }
  const n = BigInt(literal);
  return n === BigInt(value) || n === decimalToBigInt(String(value));
}

/** The integer a shortest-form number string denotes (`"1e+23"`, `"-1.5e+21"`), or null. */
function decimalToBigInt(text: string): bigint | null {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e\+?(-?\d+))?$/.exec(text);
  if (match === null) {
    return null;
  }
  const [, sign = "", whole = "", fraction = "", exponent = "0"] = match;
  const shift = Number(exponent) - fraction.length;
  if (shift < 0) {
    return null;
  }
  const magnitude = BigInt(whole + fraction) * 10n ** BigInt(shift);
  return sign === "-" ? -magnitude : magnitude;
}

function abbreviate(literal: string): string {
  return literal.length <= 40 ? literal : `${literal.slice(0, 20)}...(${literal.length} digits)`;
}
