/**
 * The HTTP side of the client: `fetch` against `datasync serve` (docs/protocol.md §6).
 *
 * Every call goes to `{baseUrl}/v1/...` with `Authorization: Bearer KEY` when a key is set.
 * Reads, bucket lookups (POSTs that change nothing) and commits (which carry an idempotency
 * key, so a replay returns the first result) are retried with exponential backoff on network
 * errors and 5xx answers. Error bodies become {@link DatasyncError} classes
 * ({@link errorFromWire}).
 */

import { gzipSync } from "node:zlib";

import { DatasyncError, TransportError, errorFromWire, isRecord } from "./errors.js";

export interface HttpOptions {
  /** `http://host:port` of a datasync server (default: `DATASYNC_URL`). */
  baseUrl?: string;
  /** API key sent as a bearer token (default: `DATASYNC_API_KEY`). */
  apiKey?: string;
  /** Per-request timeout in milliseconds (default 60000). */
  timeoutMs?: number;
  /** Retries after a network error or a 5xx answer (default 3). */
  retries?: number;
  /** First backoff in milliseconds, doubled each retry (default 250). */
  backoffMs?: number;
  /** The `fetch` to use (default: the platform's). */
  fetch?: typeof fetch;
}

export type Query = [string, string | number][];

interface RequestSpec {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Query;
  json?: unknown;
  body?: Uint8Array;
  headers?: Record<string, string>;
}

/** Bytes of request and response bodies, as they crossed the wire (responses decoded). */
export interface WireCount {
  sent: number;
  received: number;
}

/** One server: base URL, key, retries. Methods throw {@link DatasyncError} subclasses. */
export class Http {
  readonly baseUrl: string;
  readonly wire: WireCount = { sent: 0, received: 0 };
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(baseUrl: string, options: Omit<HttpOptions, "baseUrl"> = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 250;
    this.fetchFn = options.fetch ?? globalThis.fetch;
  }

  /** The parsed JSON answer of one call (`undefined` for 204). */
  async json<T>(spec: RequestSpec): Promise<T> {
    const response = await this.send(spec);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    this.wire.received += Buffer.byteLength(text);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new TransportError(`${this.baseUrl} answered ${spec.path} with a body that is not JSON`, {
        code: "bad_response",
      });
    }
  }

  /** The lines of an NDJSON answer, parsed, as they arrive. */
  async *ndjson(spec: RequestSpec): AsyncGenerator<unknown> {
    const response = await this.send(spec);
    if (response.body === null) return;
    let rest = "";
    try {
      for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) {
        this.wire.received += Buffer.byteLength(chunk);
        const lines = (rest + chunk).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) if (line.trim()) yield JSON.parse(line);
      }
    } catch (err) {
      if (err instanceof SyntaxError) throw err;
      throw new TransportError(`the stream from ${this.baseUrl} broke off: ${String(err)}`, { code: "unreachable" });
    }
    if (rest.trim()) yield JSON.parse(rest);
  }

  /** Send with retries; a status >= 400 throws the server's error. */
  async send(spec: RequestSpec): Promise<Response> {
    const url = new URL(`${this.baseUrl}/v1${spec.path}`);
    for (const [key, value] of spec.query ?? []) url.searchParams.append(key, String(value));
    const headers: Record<string, string> = { "User-Agent": "datasync-ts/0.1.0", ...spec.headers };
    if (this.apiKey) headers["Authorization"] = `Bearer ${this.apiKey}`;
    let body: Uint8Array | string | undefined = spec.body;
    if (spec.json !== undefined) {
      body = JSON.stringify(spec.json);
      headers["Content-Type"] = "application/json";
    }
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        const init: RequestInit = { method: spec.method, headers, signal: AbortSignal.timeout(this.timeoutMs) };
        if (body !== undefined) init.body = body;
        response = await this.fetchFn(url, init);
        if (body !== undefined) this.wire.sent += typeof body === "string" ? Buffer.byteLength(body) : body.length;
      } catch (err) {
        if (attempt >= this.retries) {
          throw new TransportError(
            `could not reach the datasync server at ${this.baseUrl}: ${describe(err)} (after ${attempt + 1} attempts)`,
            { code: "unreachable", details: { url: this.baseUrl } },
          );
        }
        await sleep(this.backoffMs * 2 ** attempt);
        continue;
      }
      if (response.status >= 500 && attempt < this.retries) {
        await response.body?.cancel();
        await sleep(this.backoffMs * 2 ** attempt);
        continue;
      }
      if (response.status >= 400) throw await this.error(response);
      return response;
    }
  }

  private async error(response: Response): Promise<DatasyncError> {
    const text = await response.text();
    this.wire.received += Buffer.byteLength(text);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!isRecord(body) || !isRecord(body["error"])) {
      return new TransportError(
        `${this.baseUrl} answered HTTP ${response.status} with a body that is not a datasync error;` +
          " is it a datasync server?",
        { code: "not_datasync", details: { status: response.status }, status: response.status },
      );
    }
    return errorFromWire(body, response.status);
  }
}

/** A gzip NDJSON body: one JSON value per line. */
export function ndjsonGzip(lines: Iterable<unknown>): Uint8Array {
  const parts: string[] = [];
  for (const line of lines) parts.push(JSON.stringify(line));
  return gzipSync(parts.join("\n") + "\n", { level: 6 });
}

/** Path segment of a dataset name or id. */
export function ref(nameOrId: string | number): string {
  return encodeURIComponent(String(nameOrId));
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
