/**
 * The datasync client for TypeScript: the same workflow as Python's `datasync.Client`,
 * hashing on this side with the proven-identical content hash v1.
 *
 * ```ts
 * import { createClient } from "datasync-engine";
 * const client = createClient({ baseUrl: "http://127.0.0.1:8765", apiKey: "…" });
 * const v1 = await client.datasets.upsertDataset({
 *   dataset: { datasetName: "qa" },
 *   examples: [{ id: "q1", input: { question: "2+2?" }, output: { answer: "4" } }],
 *   sourceIdKey: "id",
 * });
 * console.log(v1.versionId, v1.summary); // { created: 1, patched: 0, deleted: 0, unchanged: 0 }
 * ```
 */

import { DatasetsAPI } from "./datasets.js";
import { UsageError } from "./errors.js";
import { ExperimentsAPI } from "./experiments.js";
import { Http, type HttpOptions, type WireCount } from "./http.js";

export type ClientOptions = HttpOptions;

/** A client of one datasync server. */
export interface Client {
  readonly baseUrl: string;
  readonly datasets: DatasetsAPI;
  /** Experiments: `run` (= {@link runExperiment}), `get`, `list`, `iterRuns`. */
  readonly experiments: ExperimentsAPI;
  /** Body bytes sent and received so far (responses counted decoded). */
  readonly wire: WireCount;
  /** The server's `/v1/health` answer. */
  health(): Promise<{ status: string; version: string }>;
}

/** An environment variable's value; set but empty is a {@link UsageError} naming it (`empty_env`). */
function setting(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name];
  if (value !== undefined && value.trim() === "") {
    throw new UsageError(
      `${name} is set but empty (an unset CI secret or variable?): set it to a value, or unset it`,
      { code: "empty_env", details: { variable: name } },
    );
  }
  return value;
}

/**
 * A client of the server at `baseUrl` (default: the `DATASYNC_URL` environment variable) with
 * `apiKey` (default: `DATASYNC_API_KEY`). Throws {@link UsageError}: `no_server` when neither
 * names a server, `empty_env` when a variable it reads is set but empty, `bad_server_url`
 * when the URL is not http(s) or ends in `/v1` (the client adds it). Nothing is sent until
 * the first call.
 */
export function createClient(options: ClientOptions = {}): Client {
  const env = typeof process === "undefined" ? {} : process.env;
  const baseUrl = options.baseUrl ?? setting(env, "DATASYNC_URL");
  if (!baseUrl) {
    throw new UsageError("no server: pass baseUrl or set DATASYNC_URL (http://host:port)", { code: "no_server" });
  }
  if (!/^https?:\/\/[^/]/.test(baseUrl)) {
    const hint = baseUrl.includes("://") ? "" : ` (did you mean http://${baseUrl}?)`;
    throw new UsageError(`baseUrl must be an http:// or https:// URL, not ${JSON.stringify(baseUrl)}${hint}`, {
      code: "bad_server_url",
    });
  }
  if (/\/v1\/*$/.test(baseUrl)) {
    throw new UsageError(
      `baseUrl ${JSON.stringify(baseUrl)} ends in /v1: give the server's base URL; the client adds /v1 itself`,
      { code: "bad_server_url" },
    );
  }
  const apiKey = options.apiKey ?? setting(env, "DATASYNC_API_KEY");
  const { baseUrl: _, apiKey: __, ...rest } = options;
  const http = new Http(baseUrl, apiKey === undefined ? rest : { ...rest, apiKey });
  const datasets = new DatasetsAPI(http);
  return {
    baseUrl: http.baseUrl,
    datasets,
    experiments: new ExperimentsAPI(http, datasets),
    wire: http.wire,
    health: () => http.json({ method: "GET", path: "/health" }),
  };
}

export {
  DatasetsAPI,
  type DatasetRef,
  type ExamplesOptions,
  type UpsertOptions,
  type VersionDiff,
} from "./datasets.js";
export {
  AuthError,
  ConflictError,
  DatasyncError,
  DeleteGuardError,
  HashMismatchError,
  NotFoundError,
  ServerCanonicalError,
  SourceError,
  TagError,
  TooLargeError,
  TransportError,
  UsageError,
  ValidationError,
  errorFromWire,
} from "./errors.js";
export {
  type CallContext,
  type Counts,
  DEFAULT_EVALUATOR_SEES,
  DEFAULT_TASK_SEES,
  type Evaluator,
  type EvaluatorArgs,
  type EvaluatorFn,
  type EvaluatorStats,
  type ExperimentInfo,
  type ExperimentResult,
  ExperimentsAPI,
  MAX_REUSE_SOURCES,
  type ReuseSource,
  type RunExperimentOptions,
  type Task,
  type TaskExample,
  runExperiment,
} from "./experiments.js";
export {
  type EvaluationRecord,
  type EvaluatorPart,
  type ExampleRecord,
  type Part,
  type Previous,
  type RunRecord,
  ScoreError,
  evaluationHash,
  fingerprint,
  jsonOutput,
  normalizeResult,
  planEvaluations,
  planRuns,
  seenHash,
} from "./reuse.js";
export { type Call, type Outcome, runCalls } from "./runner.js";
export {
  DEFAULT_DELETE_LIMIT,
  type DeleteLimit,
  MIN_GUARDED,
  type MaxDelete,
  checkDeletes,
  parseMaxDelete,
} from "./guard.js";
export { LEAF_BITS, LeafTable, bucketOf, entryBytes, leafDigest } from "./manifest.js";
export { type Change, type ChangeKind, type Mode, type Plan, planChanges } from "./plan.js";
export type {
  ChangeSummary,
  Dataset,
  DatasetInfo,
  DeletedDataset,
  ExampleChange,
  FieldChange,
  Page,
  StoredExample,
  VersionInfo,
} from "./records.js";
export { changeSummary } from "./records.js";
export { reuseSummary } from "./experiment_records.js";
export {
  EXACT,
  FAST,
  type Fingerprints,
  type ManifestSource,
  type RemoteView,
  SAFE,
  type Step,
  nextStep,
  planAgainst,
  remoteView,
} from "./remote.js";
export { type LocalExample, type Row, type RowMapping, hashRows } from "./rows.js";
