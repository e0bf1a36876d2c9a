/**
 * `runExperiment` and `client.experiments`: run a task over a pinned dataset version, score
 * it, record runs and evaluations on the server, and re-run only what changed — with the
 * reuse rule of Python's `run_experiment` (docs/experiments.md; the hashes in ./reuse.ts).
 *
 * ```ts
 * const result = await runExperiment({
 *   client, experimentName: "calc", dataset: v1,      // { datasetId, versionId }
 *   task: async ({ input }) => ({ answer: await model(input.question) }),
 *   taskSees: ["input"], taskVersion: "v1",
 *   evaluators: [{ name: "correct", fn: ({ output, expected }) => deepEqual(output, expected) }],
 * });
 * result; // { experimentId, ran, reused, errors, scores: { correct: 1 }, ... }
 * ```
 */

import { type Http, ref } from "./http.js";
import type { DatasetsAPI } from "./datasets.js";
import { UsageError } from "./errors.js";
import {
  type EvaluationRecord,
  type EvaluatorPart,
  type EvaluatorSpec,
  type ExampleRecord,
  type Part,
  PARTS,
  type Previous,
  type RunRecord,
  ScoreError,
  checkEvaluatorName,
  checkExperimentName,
  checkSees,
  fingerprint,
  jsonOutput,
  normalizeResult,
  planEvaluations,
  planRuns,
  seenHash,
} from "./reuse.js";
import { type Outcome, runCalls } from "./runner.js";
import {
  type EvaluatorStats,
  type ExperimentInfo,
  type ReuseSource,
  type WirePage,
  evaluationToWire,
  experimentFromWire,
  reuseSummary,
  runFromWire,
  runToWire,
} from "./experiment_records.js";

export type { EvaluatorStats, ExperimentInfo, ReuseSource } from "./experiment_records.js";

/**
 * What a task is handed: the source id (as `sourceId` and `id`) and only the parts it
 * declared in `taskSees` (default `["input"]`), under the names of a row (`input`, `output`,
 * `metadata`, as the example was pushed) and the experiment names (`expected`, `reference`:
 * the example's `output` part). `I` types `input`, so a task written as
 * `(example: { input: { question: string } }) => ...` type-checks as it is.
 */
export interface TaskExample<I = Record<string, unknown>> {
  sourceId: string;
  /** The source id, as in the rows pushed (`{ id, input, output, metadata }`). */
  id: string;
  /** Present when `taskSees` includes `"input"` (the default). */
  input: I;
  /** The example's `output` part (the expected answer), when the task sees `"expected"`. */
  expected?: Record<string, unknown>;
  /** Phoenix's name for `expected`. */
  reference?: Record<string, unknown>;
  /** For a task: the example's `output` part, as in the row (when it sees `"expected"`). */
  output?: unknown;
  metadata?: Record<string, unknown>;
}

/**
 * What an evaluator is handed: its parts of the example and, if it sees it, the task's
 * `output` (here `output` is the task's output; the example's own `output` part is
 * `expected`).
 */
export interface EvaluatorArgs extends Omit<TaskExample, "input"> {
  input?: Record<string, unknown>;
  output?: unknown;
}

/** `signal` aborts when the call times out or the experiment is stopped. */
export interface CallContext {
  signal: AbortSignal;
}

// `any` by default so that a task annotated with its own input type is accepted as written.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Task<I = any> = (example: TaskExample<I>, context: CallContext) => unknown;
export type EvaluatorFn = (args: EvaluatorArgs, context: CallContext) => unknown;

/** An evaluator: a named function, or `{ name, fn, sees?, version? }`. */
export type Evaluator =
  | EvaluatorFn
  | { name: string; fn: EvaluatorFn; sees?: EvaluatorPart[]; version?: string };

export const DEFAULT_TASK_SEES: readonly Part[] = ["input"];
export const DEFAULT_EVALUATOR_SEES: readonly EvaluatorPart[] = ["output", "expected"];
const EVALUATOR_PARTS: readonly EvaluatorPart[] = ["output", ...PARTS];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface RunExperimentOptions<I = any> {
  client: { experiments: ExperimentsAPI };
  /** The pinned version (`versionId` omitted or null: the head when the run starts). */
  dataset: ({ datasetId: number } | { datasetName: string }) & { versionId?: number | null };
  task: Task<I>;
  /** Which parts the task is handed and its results are keyed by (default `["input"]`). */
  taskSees?: Part[];
  /** The task's fingerprint is `version:V` (else derived from `task.toString()`). */
  taskVersion?: string;
  evaluators?: Evaluator[];
  /** Default: `task.name`, else `"experiment"`. */
  experimentName?: string;
  /** At most this many calls in flight (default 8). */
  concurrency?: number;
  /** Per call (task or evaluator); an overdue call is recorded as a timeout and abandoned. */
  timeoutMs?: number;
  tags?: Record<string, string>;
  metadata?: Record<string, unknown>;
  /**
   * `"auto"` (default): copy each example's result from the newest earlier experiment on this
   * dataset (any version, any name) with the same task fingerprint and what the task sees.
   */
  reuse?: "auto" | "none";
  /** Reuse this experiment's results instead of the newest of the same name. */
  reuseFrom?: number;
  /** Only examples whose metadata contains this. */
  where?: Record<string, unknown>;
  /** Stops the run: what finished is kept, the experiment is marked `interrupted`. */
  signal?: AbortSignal;
  onProgress?: (counts: Counts) => void;
}

export interface Counts {
  total: number;
  ran: number;
  reused: number;
  errors: number;
  scored: number;
  scoreErrors: number;
  scoresReused: number;
}

export interface ExperimentResult {
  experimentId: number;
  /** Runs executed by this experiment (errors included). */
  ran: number;
  /** Runs copied from an earlier experiment. */
  reused: number;
  /** Runs that ended in an error. */
  errors: number;
  /** Mean score per evaluator (`null`: no scores). */
  scores: Record<string, number | null>;
  /** Where the reused runs came from: experiment id, name and count, most runs first. */
  reusedSources: ReuseSource[];
  /** `reused 1 from experiment 3 'support-v1'` (`reused 0` when nothing was reused). */
  reuseSummary: string;
  /** The recorded experiment, as the server returned it when finished. */
  experiment: ExperimentInfo;
}

const BATCH = 100;
const PAGE = 500;
/** How many earlier experiments with the same task fingerprint `reuse: "auto"` reads. */
export const MAX_REUSE_SOURCES = 10;

interface BoundEvaluator extends EvaluatorSpec {
  fn: EvaluatorFn;
}

/** Experiments on one server; reached as `client.experiments`. */
export class ExperimentsAPI {
  constructor(
    private readonly http: Http,
    private readonly datasets: DatasetsAPI,
  ) {}

  /** One experiment with counts and scores. Throws {@link NotFoundError} (`experiment_not_found`). */
  async get(experimentId: number): Promise<ExperimentInfo> {
    return experimentFromWire(await this.http.json({ method: "GET", path: `/experiments/${id(experimentId)}` }));
  }

  /** Experiments, newest first: of `dataset` (name or id), named `name`, with every tag of `tags`. */
  async list(options: { dataset?: string | number; name?: string; tags?: Record<string, string | null> } = {}): Promise<ExperimentInfo[]> {
    const query: [string, string | number][] = [];
    if (options.dataset !== undefined) query.push(["dataset", String(options.dataset)]);
    if (options.name !== undefined) query.push(["name", options.name]);
    for (const [key, value] of Object.entries(options.tags ?? {})) query.push(value === null ? ["has_tag", key] : [`tag.${key}`, value]);
    const out: ExperimentInfo[] = [];
    let cursor: string | null = null;
    do {
      const q: [string, string | number][] = [...query, ["limit", PAGE]];
      if (cursor !== null) q.push(["cursor", cursor]);
      const body: WirePage = await this.http.json({ method: "GET", path: "/experiments", query: q });
      out.push(...body.items.map(experimentFromWire));
      cursor = body.next_cursor;
    } while (cursor !== null);
    return out;
  }

  /** Every run of an experiment by source id, each with its evaluations. */
  async *iterRuns(experimentId: number): AsyncGenerator<RunRecord> {
    let cursor: string | null = null;
    do {
      const query: [string, string | number][] = [["limit", PAGE]];
      if (cursor !== null) query.push(["cursor", cursor]);
      const body: WirePage = await this.http.json({ method: "GET", path: `/experiments/${id(experimentId)}/runs`, query });
      yield* body.items.map(runFromWire);
      cursor = body.next_cursor;
    } while (cursor !== null);
  }

  /** {@link runExperiment} on this client (the same options but `client`). */
  async run<I>(options: Omit<RunExperimentOptions<I>, "client">): Promise<ExperimentResult> {
    const concurrency = options.concurrency ?? 8;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
      throw new UsageError(`concurrency must be an integer >= 1, not ${String(concurrency)}`, { code: "bad_option" });
    }
    if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) {
      throw new UsageError(`timeoutMs must be > 0, not ${String(options.timeoutMs)}`, { code: "bad_option" });
    }
    const reuse = options.reuse ?? "auto";
    if (reuse !== "auto" && reuse !== "none") {
      throw new UsageError(`reuse must be "auto" or "none", not ${JSON.stringify(reuse)}`, { code: "bad_option" });
    }
    if (typeof options.task !== "function") throw new UsageError("task must be a function", { code: "not_callable" });
    const name = checkExperimentName(options.experimentName ?? (options.task.name || "experiment"));
    const sees = checkSees(options.taskSees ?? [...DEFAULT_TASK_SEES], PARTS, "taskSees");
    const taskFingerprint = fingerprint(options.task, options.taskVersion);
    const evaluators = bindEvaluators(options.evaluators ?? []);
    const pinned = await this.pin(options.dataset);
    const examples = await this.examples(pinned, options.where);
    const previous = await this.previous(pinned.datasetId, name, taskFingerprint, reuse, options.reuseFrom);
    const created = await this.http.json<unknown>({
      method: "POST",
      path: "/experiments",
      json: {
        dataset: String(pinned.datasetId),
        version_id: pinned.versionId,
        name,
        task_fingerprint: taskFingerprint,
        evaluators: Object.fromEntries(evaluators.map((e) => [e.name, e.fingerprint])),
        tags: options.tags ?? {},
        metadata: options.metadata ?? {},
        reused_from_id: previous[0]?.experimentId ?? null,
      },
    });
    const experimentId = experimentFromWire(created).id;
    const run = new Execution(this.http, experimentId, options, sees, taskFingerprint, evaluators, previous, concurrency);
    try {
      await run.execute(examples);
    } catch (err) {
      await this.finish(experimentId, "interrupted").catch(() => undefined);
      throw err;
    }
    if (options.signal?.aborted) {
      await this.finish(experimentId, "interrupted");
      throw options.signal.reason;
    }
    const experiment = await this.finish(experimentId, "complete");
    const scores = Object.fromEntries(Object.entries(experiment.scores).map(([k, v]) => [k, v.mean]));
    const { ran, reused, errors, reusedSources } = experiment;
    return { experimentId, ran, reused, errors, scores, reusedSources, reuseSummary: reuseSummary(reusedSources), experiment };
  }

  private async finish(experimentId: number, status: string): Promise<ExperimentInfo> {
    return experimentFromWire(
      await this.http.json({ method: "POST", path: `/experiments/${id(experimentId)}/finish`, json: { status } }),
    );
  }

  private async pin(dataset: RunExperimentOptions["dataset"]): Promise<{ datasetId: number; versionId: number }> {
    if (typeof dataset !== "object" || dataset === null) {
      throw new UsageError("dataset must be { datasetId, versionId } or { datasetName, versionId? }", { code: "bad_option" });
    }
    const target = "datasetId" in dataset ? { datasetId: dataset.datasetId } : { datasetName: dataset.datasetName };
    const info = await this.datasets.getVersion(target, dataset.versionId ?? undefined);
    return { datasetId: info.datasetId, versionId: info.id };
  }

  private async examples(pinned: { datasetId: number; versionId: number }, where?: Record<string, unknown>): Promise<ExampleRecord[]> {
    const out: ExampleRecord[] = [];
    const options = where === undefined ? { versionId: pinned.versionId } : { versionId: pinned.versionId, where };
    for await (const e of this.datasets.iterExamples({ datasetId: pinned.datasetId }, options)) out.push(e);
    return out;
  }

  /**
   * The earlier experiments results may be copied from, newest first: `reuseFrom`, or with
   * `reuse: "auto"` the dataset's experiments (any version, any name) with this task
   * fingerprint (at most {@link MAX_REUSE_SOURCES}) and the newest of this name.
   */
  private async previous(datasetId: number, name: string, taskFingerprint: string, reuse: string, reuseFrom?: number): Promise<Previous[]> {
    let infos: ExperimentInfo[];
    if (reuseFrom !== undefined) {
      infos = [await this.get(reuseFrom)];
    } else if (reuse === "auto") {
      infos = [];
      let sameName = false;
      let sameTask = 0;
      for (const info of await this.list({ dataset: datasetId })) {
        if (info.taskFingerprint === taskFingerprint && sameTask < MAX_REUSE_SOURCES) {
          sameTask += 1;
          infos.push(info);
        } else if (info.name === name && !sameName) {
          infos.push(info);
        }
        sameName ||= info.name === name;
      }
    } else {
      return [];
    }
    const out: Previous[] = [];
    for (const info of infos) {
      const runs = new Map<string, RunRecord>();
      for await (const r of this.iterRuns(info.id)) runs.set(r.sourceId, r);
      out.push({ experimentId: info.id, name: info.name, taskFingerprint: info.taskFingerprint, evaluators: info.evaluators, runs });
    }
    return out;
  }
}

/**
 * Run `task` over every example of a pinned dataset version, score each output with
 * `evaluators`, and record runs and evaluations on the server; with `reuse: "auto"` copy each
 * example's result from the newest earlier experiment on the dataset (any version, any name)
 * whose task fingerprint and the parts the task sees are unchanged (docs: js-parity/README.md,
 * "runExperiment").
 *
 * An error thrown by one example's task is that run's `error`; the rest go on. Throws
 * {@link UsageError} (options), {@link ValidationError} (names), {@link NotFoundError}
 * (dataset, version, `reuseFrom`), {@link TagError}, transport errors, and `signal.reason`
 * when stopped (what finished is kept; the experiment is marked `interrupted`).
 */
export async function runExperiment<I>(options: RunExperimentOptions<I>): Promise<ExperimentResult> {
  const { client, ...rest } = options;
  if (typeof client !== "object" || client === null || !(client.experiments instanceof ExperimentsAPI)) {
    throw new UsageError("runExperiment needs client: createClient(...)", { code: "bad_option" });
  }
  return client.experiments.run(rest);
}

function bindEvaluators(given: readonly Evaluator[]): BoundEvaluator[] {
  if (!Array.isArray(given)) throw new UsageError("evaluators must be an array", { code: "bad_option" });
  const out: BoundEvaluator[] = [];
  for (const item of given) {
    const spec = typeof item === "function" ? { name: item.name, fn: item } : item;
    if (typeof spec !== "object" || spec === null || typeof spec.fn !== "function") {
      throw new UsageError("an evaluator is a named function or { name, fn, sees?, version? }", { code: "not_callable" });
    }
    const name = checkEvaluatorName(spec.name);
    if (out.some((e) => e.name === name)) {
      throw new UsageError(`two evaluators are named ${JSON.stringify(name)}; name them explicitly: { name, fn }`, {
        code: "duplicate_evaluator",
      });
    }
    const partsSeen = "sees" in spec && spec.sees !== undefined ? spec.sees : [...DEFAULT_EVALUATOR_SEES];
    const sees = checkSees(partsSeen, EVALUATOR_PARTS, `evaluator ${name}: sees`);
    const version = "version" in spec ? spec.version : undefined;
    out.push({ name, fn: spec.fn, sees, fingerprint: fingerprint(spec.fn, version) });
  }
  return out;
}

/**
 * What a function that sees `sees` is handed for `example`. A task that sees `expected` also
 * finds it as `output` (the row's name); an evaluator's `output` is the task's output.
 */
function view(example: ExampleRecord, sees: readonly EvaluatorPart[], output?: unknown, task = false): EvaluatorArgs {
  const args: EvaluatorArgs & { input?: unknown } = { sourceId: example.sourceId, id: example.sourceId };
  if (sees.includes("input")) args.input = example.input;
  if (sees.includes("expected")) {
    args.expected = example.output;
    args.reference = example.output;
  }
  if (sees.includes("metadata")) args.metadata = example.metadata;
  if (sees.includes("output")) args.output = output;
  else if (task && sees.includes("expected")) args.output = example.output;
  return args;
}

/** One experiment's calls and writes (results go to the server in batches as they finish). */
class Execution {
  private readonly counts: Counts = { total: 0, ran: 0, reused: 0, errors: 0, scored: 0, scoreErrors: 0, scoresReused: 0 };

  constructor(
    private readonly http: Http,
    private readonly experimentId: number,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    private readonly options: Omit<RunExperimentOptions<any>, "client">,
    private readonly sees: Part[],
    private readonly taskFingerprint: string,
    private readonly evaluators: BoundEvaluator[],
    private readonly previous: Previous[],
    private readonly concurrency: number,
  ) {}

  async execute(examples: ExampleRecord[]): Promise<void> {
    this.counts.total = examples.length;
    const plan = planRuns(examples, this.sees, this.taskFingerprint, this.previous);
    const byId = new Map(examples.map((e) => [e.sourceId, e]));
    const finished: RunRecord[] = [...plan.reused];
    const runs = new Batcher((items: RunRecord[]) => this.post("runs", { runs: items.map(runToWire) }));
    for (const run of plan.reused) await runs.add(run);
    this.counts.reused = plan.reused.length;
    this.notify();
    const settings = { concurrency: this.concurrency, timeoutMs: this.options.timeoutMs, stop: this.options.signal };
    const calls = plan.toRun.map((e) => (signal: AbortSignal) => this.options.task(view(e, this.sees, undefined, true) as TaskExample, { signal }));
    try {
      await runCalls(calls, async (i, outcome) => {
        const record = runRecord(plan.toRun[i] as ExampleRecord, seenHash(plan.toRun[i] as ExampleRecord, this.sees), outcome);
        finished.push(record);
        this.counts.ran += 1;
        this.counts.errors += record.error === null ? 0 : 1;
        this.notify();
        await runs.add(record);
      }, settings);
    } finally {
      await runs.flush();
    }
    if (this.options.signal?.aborted) return;
    const pairs = finished.map((r) => [byId.get(r.sourceId) as ExampleRecord, r] as [ExampleRecord, RunRecord]);
    const { copied, jobs } = planEvaluations(pairs, this.evaluators, this.previous);
    const out = new Batcher((items: [string, EvaluationRecord][]) =>
      this.post("evaluations", { evaluations: items.map(([sid, e]) => ({ source_id: sid, ...evaluationToWire(e) })) }),
    );
    for (const item of copied) await out.add(item);
    this.counts.scoresReused = copied.length;
    const evalCalls = jobs.map((job) => (signal: AbortSignal) =>
      job.evaluator.fn(view(job.example, job.evaluator.sees, job.run.output), { signal }),
    );
    try {
      await runCalls(evalCalls, async (i, outcome) => {
        const job = jobs[i] as (typeof jobs)[number];
        const record = evaluationRecord(job.evaluator.name, job.seenHash, outcome);
        this.counts.scored += 1;
        this.counts.scoreErrors += record.error === null ? 0 : 1;
        this.notify();
        await out.add([job.run.sourceId, record]);
      }, settings);
    } finally {
      await out.flush();
    }
  }

  private notify(): void {
    this.options.onProgress?.({ ...this.counts });
  }

  private async post(what: "runs" | "evaluations", json: unknown): Promise<void> {
    await this.http.json({ method: "POST", path: `/experiments/${this.experimentId}/${what}`, json });
  }
}

/** Items handed to `write` every `size`, one write at a time. */
class Batcher<T> {
  private items: T[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly write: (items: T[]) => Promise<void>, private readonly size = BATCH) {}

  add(item: T): Promise<void> {
    this.items.push(item);
    return this.items.length >= this.size ? this.flush() : Promise.resolve();
  }

  flush(): Promise<void> {
    const items = this.items;
    this.items = [];
    if (items.length > 0) this.chain = this.chain.then(() => this.write(items));
    return this.chain;
  }
}

function runRecord(example: ExampleRecord, seen: string, outcome: Outcome): RunRecord {
  let output: unknown = null;
  let error = outcome.error;
  if (error === null) {
    const json = jsonOutput(outcome.value);
    if ("error" in json) error = json.error;
    else output = json.output;
  }
  return {
    sourceId: example.sourceId,
    contentHash: example.hash,
    seenHash: seen,
    output,
    error,
    latencySeconds: outcome.seconds,
    startedAt: outcome.startedAt,
    endedAt: outcome.endedAt,
    reusedFrom: null,
    evaluations: [],
  };
}

function evaluationRecord(name: string, seen: string, outcome: Outcome): EvaluationRecord {
  const failed = (error: string): EvaluationRecord => ({
    name, score: null, label: null, explanation: null, error, seenHash: seen, reused: false,
  });
  if (outcome.error !== null) return failed(outcome.error);
  try {
    return { ...normalizeResult(name, outcome.value), seenHash: seen };
  } catch (err) {
    if (err instanceof ScoreError) return failed(`ScoreError: ${err.message}`);
    throw err;
  }
}

function id(experimentId: number): string {
  if (!Number.isSafeInteger(experimentId)) {
    throw new UsageError(`experiment id must be an integer, not ${String(experimentId)}`, { code: "bad_option" });
  }
  return ref(experimentId);
}
