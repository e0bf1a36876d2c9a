/**
 * `client.datasets`: upsert (hash and plan on the client, send only the changes), read, list.
 * The same workflow as Python's `client.datasets` (datasync/client/_datasets.py).
 */

import { randomUUID } from "node:crypto";

import { ConflictError, TransportError, UsageError, ValidationError } from "./errors.js";
import { DEFAULT_DELETE_LIMIT, type DeleteLimit, type MaxDelete, checkDeletes, parseMaxDelete } from "./guard.js";
import { type Http, ndjsonGzip, ref } from "./http.js";
import { LeafTable } from "./manifest.js";
import { type Mode, type Plan, countOf, parseMode } from "./plan.js";
import type { ChangeSummary, Dataset, DatasetInfo, DeletedDataset, ExampleChange, Page, StoredExample, VersionInfo } from "./records.js";
import { camel, changeSummary } from "./records.js";
import {
  EXACT,
  FAST,
  type Fingerprints,
  type ManifestSource,
  type RemoteView,
  SAFE,
  isExact,
  planAgainst,
  remoteView,
} from "./remote.js";
import { type LocalExample, type RowMapping, hashRows } from "./rows.js";

/** A dataset by name (created by its first upsert) or by numeric id. */
/** What changed between two versions: see {@link DatasetsAPI.diffVersions}. */
export interface VersionDiff {
  a: VersionInfo;
  b: VersionInfo;
  summary: ChangeSummary;
  /** Every changed example, by source id (pages fetched as they are needed). */
  changes(): AsyncGenerator<ExampleChange>;
}

interface DiffPageWire {
  a: unknown;
  b: unknown;
  created: number | null;
  patched: number | null;
  deleted: number | null;
  items: unknown[];
  next_cursor: string | null;
}

export type DatasetRef = { datasetName: string } | { datasetId: number };

export interface UpsertOptions extends RowMapping {
  dataset: DatasetRef;
  /** Rows: plain objects, mapped as {@link RowMapping} says. */
  examples: Iterable<unknown> | AsyncIterable<unknown>;
  mode?: Mode;
  message?: string;
  tags?: Record<string, string>;
  /**
   * The mass-delete guard of a mirror push: `"50%"` (the default; applies to datasets of at
   * least 10 examples), a count (`100`), a fraction below 1 (`0.5`); `"100%"` allows anything.
   * A source with no examples is refused unless the limit allows deleting everything.
   */
  maxDelete?: MaxDelete;
  /** Attempts when other pushes move the head first (default 10), within `retrySeconds` (120). */
  retries?: number;
  retrySeconds?: number;
}

const BACKOFF_FIRST_MS = 50;
const BACKOFF_CAP_MS = 4000;

/** Jittered exponential backoff between attempts of a commit that met `stale_base`. */
class Retry {
  private failed = 0;
  private started = Date.now();

  constructor(
    private readonly attempts: number,
    private readonly seconds: number,
  ) {
    if (!Number.isSafeInteger(attempts) || attempts < 1) {
      throw new UsageError(`retries must be an integer >= 1, not ${String(attempts)}`, { code: "bad_option" });
    }
    if (!(seconds > 0)) {
      throw new UsageError(`retrySeconds must be > 0, not ${String(seconds)}`, { code: "bad_option" });
    }
  }

  /** The deadline counts from here (the first plan), not from hashing. */
  start(): void {
    this.started = Date.now();
  }

  /** Wait before the next attempt, or throw (saying what happened) when out of attempts or time. */
  async waitOrThrow(dataset: string | number, conflict: ConflictError): Promise<void> {
    this.failed += 1;
    const delay = Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_FIRST_MS * 2 ** this.failed);
    const elapsed = Date.now() - this.started;
    if (this.failed >= this.attempts || elapsed + delay > this.seconds * 1000) {
      throw new ConflictError(
        `dataset ${JSON.stringify(dataset)} kept changing under this push: ${this.failed} attempt(s) in` +
          ` ${(elapsed / 1000).toFixed(1)} s each found a newer head (other pushes landed first). Nothing of` +
          " this push was written; run it again, or allow more with retries / retrySeconds",
        { code: conflict.code, details: { ...conflict.details, attempts: this.failed } },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

export interface ExamplesOptions {
  /** Default: the head. */
  versionId?: number;
  /** Metadata containment: `{split: "test"}` keeps examples whose metadata has that. */
  where?: Record<string, unknown>;
  /** Page size, 1..1000 (default 100). */
  limit?: number;
  cursor?: string | null;
}

const NAME = /^[A-Za-z][A-Za-z0-9._-]{0,127}$/;

function refOf(dataset: DatasetRef | string | number): string | number {
  if (typeof dataset === "string" || typeof dataset === "number") return dataset;
  if ("datasetId" in dataset) {
    if (!Number.isSafeInteger(dataset.datasetId)) {
      throw new UsageError(`datasetId must be an integer, not ${String(dataset.datasetId)}`, { code: "bad_option" });
    }
    return dataset.datasetId;
  }
  if ("datasetName" in dataset) {
    if (typeof dataset.datasetName !== "string" || !NAME.test(dataset.datasetName)) {
      throw new ValidationError(
        `invalid dataset name ${JSON.stringify(dataset.datasetName)}: a letter, then letters, digits, '.', '_' or '-' (at most 128)`,
        { code: "invalid_name" },
      );
    }
    return dataset.datasetName;
  }
  throw new UsageError("dataset must be { datasetName } or { datasetId }", { code: "bad_option" });
}

function checkTags(tags: unknown): Record<string, string> {
  if (tags === undefined) return {};
  if (typeof tags !== "object" || tags === null || Array.isArray(tags)) {
    throw new UsageError("tags must be an object of string values", { code: "bad_option" });
  }
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value !== "string") {
      throw new UsageError(`tag ${JSON.stringify(key)} must have a string value`, { code: "bad_option" });
    }
  }
  return { ...(tags as Record<string, string>) };
}

/** `tag.KEY=VALUE` for each `{KEY: VALUE}`, `has_tag=KEY` for each `{KEY: null}` (docs/protocol.md §6). */
function tagQuery(tags: Record<string, string | null> | undefined): [string, string][] {
  return Object.entries(tags ?? {}).map(([key, value]) => (value === null ? ["has_tag", key] : [`tag.${key}`, value]));
}

function version(versionId: number | null | undefined): string {
  return versionId === undefined || versionId === null ? "head" : String(versionId);
}

/** Datasets on one server; reached as `client.datasets`. */
export class DatasetsAPI implements ManifestSource {
  constructor(private readonly http: Http) {}

  /**
   * Make the dataset hold `examples` (`mirror`, the default) or add/update them (`append`).
   *
   * Every row is mapped and hashed locally (content hash v1), the plan is made against the
   * head's manifest summary (only differing buckets' entries are fetched), and only
   * CREATE/PATCH/DELETE travel, in one gzip NDJSON commit. When another push moved the
   * head first ({@link ConflictError}, `stale_base`) it plans again and retries with jittered
   * exponential backoff (`retries` attempts within `retrySeconds`). Every plan is checked
   * against `maxDelete` before it is sent. Nothing changed: no new version, `noOp: true`.
   * Throws {@link SourceError} (a bad row; nothing sent), {@link DeleteGuardError}
   * (`empty_source`, `too_many_deletes`; nothing sent),
   * {@link UsageError}/{@link ValidationError}/{@link TagError}, {@link ConflictError}
   * (attempts or time used up), {@link AuthError}, {@link NotFoundError} (an unknown
   * `datasetId`), {@link TransportError}.
   */
  async upsertDataset(options: UpsertOptions): Promise<Dataset> {
    const target = refOf(options.dataset);
    const mode = parseMode(options.mode ?? "mirror");
    const tags = checkTags(options.tags);
    const limit = parseMaxDelete(options.maxDelete ?? DEFAULT_DELETE_LIMIT);
    const retry = new Retry(options.retries ?? 10, options.retrySeconds ?? 120);
    const mapping: RowMapping = {};
    for (const key of ["sourceIdKey", "sourceIdFn", "inputKeys", "outputKeys", "metadataKeys"] as const) {
      if (options[key] !== undefined) (mapping as Record<string, unknown>)[key] = options[key];
    }
    const local = await hashRows(options.examples, mapping);
    const hashes = new Map([...local].map(([id, ex]) => [id, ex.hash]));
    const table = LeafTable.fromManifest(hashes);
    // As Python: shortened fingerprints, and in mirror mode the full root checked after the
    // commit; a miss is planned again at full length and committed as a correction.
    let fingerprints = mode === "mirror" ? FAST : SAFE;
    let first: Dataset | null = null;
    retry.start();
    for (;;) {
      const remote = await remoteView(this, target, table, hashes.size, fingerprints);
      const plan = planAgainst(hashes, remote, mode);
      if (plan.changes.length === 0 && remote.datasetId !== null) {
        if (!missed(remote, table, mode, fingerprints)) return first ?? (await this.noOp(remote, plan));
        fingerprints = EXACT;
        continue;
      }
      const guard = mode === "mirror" ? limit : null;
      if (guard !== null) {
        const deletes = countOf(plan, "delete");
        checkDeletes(guard, remote.count, deletes, remote.count + countOf(plan, "create") - deletes);
      }
      let result: Dataset;
      try {
        result = await this.commit(remote.datasetId ?? target, remote.versionId, mode, options.message, tags, plan, local, guard);
      } catch (err) {
        if (!(err instanceof ConflictError) || err.code !== "stale_base") throw err;
        await retry.waitOrThrow(target, err);
        continue;
      }
      result = first === null ? result : merged(first, result);
      if (isExact(fingerprints) || mode !== "mirror" || (await this.verified(result, table))) return result;
      [first, fingerprints] = [result, EXACT];
    }
  }

  /** After a mirror commit the new version's full root must equal the local one. */
  private async verified(result: Dataset, table: LeafTable): Promise<boolean> {
    if (result.versionId === null) return true;
    return (await this.getVersion({ datasetId: result.datasetId }, result.versionId)).root === table.root();
  }

  private async noOp(remote: RemoteView, plan: Plan): Promise<Dataset> {
    const info = await this.getInfo(remote.datasetId as number);
    return {
      datasetId: info.id,
      datasetName: info.name,
      versionId: remote.versionId,
      baseVersionId: remote.versionId,
      noOp: true,
      summary: changeSummary(0, 0, 0, plan.unchanged),
      total: remote.count,
    };
  }

  private async commit(
    target: string | number,
    base: number | null,
    mode: Mode,
    message: string | undefined,
    tags: Record<string, string>,
    plan: Plan,
    local: Map<string, LocalExample>,
    maxDelete: DeleteLimit | null,
  ): Promise<Dataset> {
    const header: Record<string, unknown> = { base_version_id: base, mode, idempotency_key: randomUUID(), message: message ?? null, tags };
    if (maxDelete !== null) header["max_delete"] = maxDelete;
    const lines: unknown[] = [header];
    for (const change of plan.changes) {
      if (change.kind === "delete") continue;
      const ex = local.get(change.sourceId) as LocalExample;
      lines.push({ op: change.kind, source_id: ex.sourceId, hash: ex.hash, input: ex.input, output: ex.output, metadata: ex.metadata });
    }
    for (const change of plan.changes) {
      if (change.kind === "delete") lines.push({ op: "delete", source_id: change.sourceId });
    }
    const result = await this.http.json<Record<string, unknown>>({
      method: "POST",
      path: `/datasets/${ref(target)}/commits`,
      body: ndjsonGzip(lines),
      headers: { "Content-Type": "application/x-ndjson", "Content-Encoding": "gzip" },
    });
    const r = camel<{
      datasetId: number; dataset: string; versionId: number | null; baseVersionId: number | null; noOp: boolean;
      created: number; patched: number; deleted: number; unchanged: number; total: number;
    }>(result);
    return {
      datasetId: r.datasetId,
      datasetName: r.dataset,
      versionId: r.versionId,
      baseVersionId: r.baseVersionId,
      noOp: r.noOp,
      summary: changeSummary(r.created, r.patched, r.deleted, r.unchanged),
      total: r.total,
    };
  }

  // --- delete and rename -------------------------------------------------------------------

  /**
   * Delete the dataset: every version, example revision, tag and tag change. Experiments that
   * ran on it are deleted too only with `force`; without it the server refuses
   * ({@link ConflictError} `dataset_in_use`). Returns what was removed. Throws
   * {@link NotFoundError}.
   */
  async deleteDataset(dataset: DatasetRef | string | number, options: { force?: boolean } = {}): Promise<DeletedDataset> {
    const query: [string, string][] = options.force ? [["force", "true"]] : [];
    return camel(await this.http.json({ method: "DELETE", path: `/datasets/${ref(refOf(dataset))}`, query }));
  }

  /**
   * Rename the dataset; its id, versions, tags, tag history and experiments follow. Returns
   * its record. Throws {@link ConflictError} (`dataset_exists`), {@link ValidationError}
   * (`invalid_name`), {@link NotFoundError}.
   */
  async renameDataset(dataset: DatasetRef | string | number, newName: string): Promise<DatasetInfo> {
    return camel(await this.http.json({ method: "PATCH", path: `/datasets/${ref(refOf(dataset))}`, json: { name: newName } }));
  }

  // --- reads ---------------------------------------------------------------------------

  /** The dataset's record (tags, head). Throws {@link NotFoundError}. */
  async getInfo(dataset: DatasetRef | string | number): Promise<DatasetInfo> {
    return camel(await this.http.json({ method: "GET", path: `/datasets/${ref(refOf(dataset))}` }));
  }

  /**
   * The dataset pinned at `versionId` (default: its head), with that version's counts.
   * Throws {@link NotFoundError} (`dataset_not_found`, `version_not_found`).
   */
  async getDataset(dataset: DatasetRef, options: { versionId?: number } = {}): Promise<Dataset> {
    const info = await this.getInfo(dataset);
    if (options.versionId === undefined && info.headVersionId === null) {
      const summary = changeSummary(0, 0, 0, 0);
      return { datasetId: info.id, datasetName: info.name, versionId: null, baseVersionId: null, noOp: false, summary, total: 0 };
    }
    const v = await this.getVersion({ datasetId: info.id }, options.versionId);
    return {
      datasetId: info.id,
      datasetName: info.name,
      versionId: v.id,
      baseVersionId: v.parentId,
      noOp: false,
      summary: changeSummary(v.created, v.patched, v.deleted, v.unchanged),
      total: v.total,
    };
  }

  /** One version (default: the head). Throws {@link NotFoundError} (`no_versions` too). */
  async getVersion(dataset: DatasetRef | string | number, versionId?: number): Promise<VersionInfo> {
    return camel(await this.http.json({ method: "GET", path: `/datasets/${ref(refOf(dataset))}/versions/${version(versionId)}` }));
  }

  /**
   * Every dataset, by id. `tags` filters: `{env: "prod"}` keeps datasets tagged `env=prod`,
   * `{batch: null}` those having the key `batch` (all must hold).
   */
  async listDatasets(options: { tags?: Record<string, string | null> } = {}): Promise<DatasetInfo[]> {
    return this.all<DatasetInfo>("/datasets", tagQuery(options.tags));
  }

  /** Every version of a dataset, newest first; `tags` filters as for datasets. Throws {@link NotFoundError}. */
  async listVersions(dataset: DatasetRef, options: { tags?: Record<string, string | null> } = {}): Promise<VersionInfo[]> {
    return this.all<VersionInfo>(`/datasets/${ref(refOf(dataset))}/versions`, tagQuery(options.tags));
  }

  /**
   * One page of a version's examples by source id; pass `nextCursor` back as `cursor` for the
   * next (`null`: no more). Throws {@link NotFoundError}.
   */
  async getExamples(dataset: DatasetRef, options: ExamplesOptions = {}): Promise<Page<StoredExample>> {
    const query: [string, string | number][] = [["limit", options.limit ?? 100]];
    if (options.cursor) query.push(["cursor", options.cursor]);
    for (const [key, value] of Object.entries(options.where ?? {})) query.push([`metadata.${key}`, JSON.stringify(value)]);
    const body = await this.http.json<{ items: unknown[]; next_cursor: string | null }>({
      method: "GET",
      path: `/datasets/${ref(refOf(dataset))}/versions/${version(options.versionId)}/examples`,
      query,
    });
    return { items: body.items.map((e) => camel<StoredExample>(e)), nextCursor: body.next_cursor };
  }

  /** Every example of a version (all pages), by source id. */
  async *iterExamples(dataset: DatasetRef, options: Omit<ExamplesOptions, "cursor"> = {}): AsyncGenerator<StoredExample> {
    let cursor: string | null = null;
    do {
      const page: Page<StoredExample> = await this.getExamples(dataset, { limit: 500, ...options, cursor });
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor !== null);
  }

  /**
   * What changed from version `a` to version `b` (`undefined`: the head): counts, and the
   * changed examples by source id, fetched `pageSize` at a time as `changes()` is iterated;
   * a patch lists its changed fields (JSON path, old and new value). "head" is pinned to the
   * version the first page read. Throws {@link NotFoundError} (dataset, version).
   */
  async diffVersions(
    dataset: DatasetRef | string | number,
    a: number | undefined,
    b: number | undefined,
    options: { pageSize?: number } = {},
  ): Promise<VersionDiff> {
    const limit = options.pageSize ?? 500;
    const fetchPage = async (va: string, vb: string, cursor: string | null): Promise<DiffPageWire> => {
      const query: [string, string | number][] = [["limit", limit]];
      if (cursor !== null) query.push(["cursor", cursor]);
      const path = `/datasets/${ref(refOf(dataset))}/versions/${va}/diff/${vb}`;
      return this.http.json<DiffPageWire>({ method: "GET", path, query });
    };
    const first = await fetchPage(version(a), version(b), null);
    const versionA = camel<VersionInfo>(first.a);
    const versionB = camel<VersionInfo>(first.b);
    const pinned: [string, string] = [String(a ?? versionA.id), String(b ?? versionB.id)];
    const created = first.created ?? 0;
    const patched = first.patched ?? 0;
    const summary = changeSummary(created, patched, first.deleted ?? 0, versionB.total - created - patched);
    async function* changes(): AsyncGenerator<ExampleChange> {
      let page = first;
      for (;;) {
        for (const item of page.items) yield camel<ExampleChange>(item);
        if (page.next_cursor === null) return;
        page = await fetchPage(pinned[0], pinned[1], page.next_cursor);
      }
    }
    return { a: versionA, b: versionB, summary, changes };
  }

  private async all<T>(path: string, query: [string, string][]): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | null = null;
    do {
      const q: [string, string | number][] = [...query, ["limit", 500]];
      if (cursor !== null) q.push(["cursor", cursor]);
      const body: { items: unknown[]; next_cursor: string | null } = await this.http.json({ method: "GET", path, query: q });
      out.push(...body.items.map((item) => camel<T>(item)));
      cursor = body.next_cursor;
    } while (cursor !== null);
    return out;
  }

  // --- ManifestSource: what planning reads ---------------------------------------------

  async datasetId(dataset: string | number): Promise<number | null> {
    return (await this.getInfo(dataset)).id;
  }

  async head(datasetId: number): Promise<{ versionId: number | null; count: number; root: string }> {
    const body = await this.http.json<{ version_id: number | null; count: number; root: string }>({
      method: "GET",
      path: `/datasets/${datasetId}/versions/head/summary`,
      query: [["bits", 0]],
    });
    return { versionId: body.version_id, count: body.count, root: body.root };
  }

  async digests(datasetId: number, versionId: number, bits: number, parentBits: number, parents: number[], chars: number): Promise<string[]> {
    const body = await this.http.json<{ digests: string[] }>({
      method: "POST",
      path: `/datasets/${datasetId}/versions/${versionId}/digests`,
      json: { bits, parent_bits: parentBits, parents, digest_chars: chars },
    });
    const wanted = parents.length << (bits - parentBits);
    if (!Array.isArray(body.digests) || body.digests.length !== wanted) {
      throw new TransportError(`the server sent ${String(body.digests?.length)} digests for ${wanted} nodes`, {
        code: "bad_response",
      });
    }
    return body.digests;
  }

  async entries(datasetId: number, versionId: number, bits: number, nodes: number[], chars: number): Promise<[string, string][]> {
    const body = await this.http.json<{ entries: [string, string][] }>({
      method: "POST",
      path: `/datasets/${datasetId}/versions/${versionId}/entries`,
      json: { bits, nodes, hash_chars: chars },
    });
    return body.entries;
  }

  async *manifest(datasetId: number, versionId: number): AsyncGenerator<[string, string]> {
    for await (const line of this.http.ndjson({ method: "GET", path: `/datasets/${datasetId}/versions/${versionId}/manifest` })) {
      yield line as [string, string];
    }
  }
}

/** An empty mirror plan although the full roots differ: a shortened comparison hid a change. */
function missed(remote: RemoteView, table: LeafTable, mode: Mode, fingerprints: Fingerprints): boolean {
  if (mode !== "mirror" || isExact(fingerprints) || remote.root === null) return false;
  return remote.root !== table.root();
}

/** One result for a commit and the correction that followed it. */
function merged(first: Dataset, second: Dataset): Dataset {
  const created = first.summary.created + second.summary.created;
  const patched = first.summary.patched + second.summary.patched;
  return {
    ...second,
    baseVersionId: first.baseVersionId,
    noOp: first.noOp && second.noOp,
    summary: changeSummary(
      created,
      patched,
      first.summary.deleted + second.summary.deleted,
      second.total - created - patched,
    ),
  };
}
