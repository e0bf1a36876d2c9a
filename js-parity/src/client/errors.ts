/**
 * Errors of the datasync client, mirroring Python's `datasync.errors` tree:
 *
 * ```text
 * DatasyncError            kind, code, message, details, status
 * ├── UsageError           bad arguments or options (client side, or HTTP 400)
 * ├── ServerCanonicalError a value refused by content hash v1 on the server (422)
 * ├── SourceError          a bad row handed to upsertDataset; `location` = "<rows> row N"
 * ├── ValidationError      a request or commit is invalid (422)
 * │   ├── HashMismatchError
 * │   ├── TagError
 * │   └── DeleteGuardError a mirror push would delete too much (`maxDelete`)
 * ├── NotFoundError        no such dataset, version, experiment (404)
 * ├── ConflictError        the base version is no longer the head (409)
 * ├── AuthError            missing or wrong API key (401)
 * ├── TooLargeError        a body or an example over a limit (413)
 * └── TransportError       the server could not be reached or is not datasync
 * ```
 *
 * The server answers every error with `{"error": {"kind", "code", "message", "details"}}`;
 * {@link errorFromWire} turns that body back into the class of the same `kind`, so callers
 * write `if (err instanceof ConflictError)` or switch on `err.code`. Values refused locally
 * while hashing are the hash library's own `CanonicalError` (code and JSON path).
 */

/** Base of every error the client raises for a datasync reason. */
export class DatasyncError extends Error {
  /** The error class's wire name (`conflict`, `validation`, ...). */
  static readonly kind: string = "error";
  static readonly defaultCode: string = "error";
  override name = "DatasyncError";
  readonly kind: string;
  readonly code: string;
  readonly details: Record<string, unknown>;
  /** The HTTP status the server answered with (undefined for client-side errors). */
  readonly status: number | undefined;

  constructor(
    message: string,
    options: { code?: string; details?: Record<string, unknown>; status?: number } = {},
  ) {
    super(message);
    const cls = new.target as unknown as { kind: string; defaultCode: string };
    this.name = new.target.name;
    this.kind = cls.kind;
    this.code = options.code ?? cls.defaultCode;
    this.details = { ...(options.details ?? {}) };
    this.status = options.status;
  }

  override toString(): string {
    return `${this.name}: [${this.code}] ${this.message}`;
  }
}

export class UsageError extends DatasyncError {
  static override readonly kind: string = "usage";
  static override readonly defaultCode: string = "usage";
}

/** Content refused by content hash v1 on the server; `details.path` names the JSON path. */
export class ServerCanonicalError extends DatasyncError {
  static override readonly kind: string = "canonical";
  static override readonly defaultCode: string = "invalid_value";
}

/** A bad row; `location` says which (`<rows> row 3`). */
export class SourceError extends DatasyncError {
  static override readonly kind: string = "source";
  static override readonly defaultCode: string = "bad_source";

  get location(): string | undefined {
    const loc = this.details["location"];
    return typeof loc === "string" ? loc : undefined;
  }
}

export class ValidationError extends DatasyncError {
  static override readonly kind: string = "validation";
  static override readonly defaultCode: string = "invalid_request";
}

export class HashMismatchError extends ValidationError {
  static override readonly kind: string = "hash_mismatch";
  static override readonly defaultCode: string = "hash_mismatch";
}

export class TagError extends ValidationError {
  static override readonly kind: string = "tag";
  static override readonly defaultCode: string = "invalid_tag";
}

/** A mirror push would delete more than `maxDelete` allows (`empty_source`, `too_many_deletes`). */
export class DeleteGuardError extends ValidationError {
  static override readonly kind: string = "delete_guard";
  static override readonly defaultCode: string = "too_many_deletes";
}

export class NotFoundError extends DatasyncError {
  static override readonly kind: string = "not_found";
  static override readonly defaultCode: string = "not_found";
}

export class ConflictError extends DatasyncError {
  static override readonly kind: string = "conflict";
  static override readonly defaultCode: string = "stale_base";
}

export class AuthError extends DatasyncError {
  static override readonly kind: string = "auth";
  static override readonly defaultCode: string = "unauthorized";
}

export class TooLargeError extends DatasyncError {
  static override readonly kind: string = "too_large";
  static override readonly defaultCode: string = "too_large";
}

export class TransportError extends DatasyncError {
  static override readonly kind: string = "transport";
  static override readonly defaultCode: string = "transport";
}

type ErrorClass = (new (
  message: string,
  options?: { code?: string; details?: Record<string, unknown>; status?: number },
) => DatasyncError) & { kind: string };

const CLASSES: readonly ErrorClass[] = [
  DatasyncError,
  UsageError,
  ServerCanonicalError,
  SourceError,
  ValidationError,
  HashMismatchError,
  TagError,
  DeleteGuardError,
  NotFoundError,
  ConflictError,
  AuthError,
  TooLargeError,
  TransportError,
];
const BY_KIND = new Map(CLASSES.map((cls) => [cls.kind, cls]));

/**
 * The error a server sent as `{"error": {"kind", "code", "message", "details"}}` with HTTP
 * `status`, as the class of that kind (an unknown kind is a plain {@link DatasyncError}).
 * A body of another shape is a {@link TransportError} (`not_datasync`).
 */
export function errorFromWire(body: unknown, status: number): DatasyncError {
  const err = isRecord(body) ? body["error"] : undefined;
  if (!isRecord(err)) {
    return new TransportError(
      `server answered HTTP ${status} without a datasync error body; is it a datasync server?`,
      { code: "not_datasync", details: { status }, status },
    );
  }
  const cls = BY_KIND.get(String(err["kind"])) ?? DatasyncError;
  const details = isRecord(err["details"]) ? err["details"] : {};
  const options: { code?: string; details: Record<string, unknown>; status: number } = {
    details,
    status,
  };
  if (typeof err["code"] === "string") {
    options.code = err["code"];
  }
  return new cls(String(err["message"] ?? ""), options);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
