/**
 * The experiment reuse rule in TypeScript, equal to Python's `datasync/experiments/reuse.py`
 * (docs/experiments.md, "The reuse rule"). Pure: no I/O.
 *
 * JavaScript cannot bind arguments by parameter name, so a task says which parts of an
 * example it sees (`taskSees`, default `["input"]`) and is handed only those. For the same
 * visible parts the hashes are Python's, byte for byte:
 *
 * - a run's `seen_hash`: BLAKE3 of the RFC 8785 bytes of `{part: value}` for the parts seen,
 *   where `expected` is the example's `output` part (`{"input": I}` for `["input"]`; all three
 *   parts is exactly content hash v1, Python's `task(example)`);
 * - an evaluation's `seen_hash`: BLAKE3 of the RFC 8785 bytes of
 *   `{"example": {the parts it sees}, "output": the task's output}` (`"output"` only when the
 *   evaluator sees it).
 *
 * Fingerprints: `taskVersion: "v3"` is `version:v3`, as in Python. Without it the fingerprint
 * is derived from `task.toString()` (`code:` + 32 hex), which can never equal a Python
 * derived fingerprint: cross-language reuse needs the same explicit version on both sides.
 */

import { canonicalize, hashBytes } from "../canonical.js";
import { CanonicalError } from "../errors.js";
import { UsageError, ValidationError } from "./errors.js";

/** A part of an example a task can see (`expected` is the example's output). */
export type Part = "input" | "expected" | "metadata";
/** What an evaluator can see: the example's parts and the task's `output`. */
export type EvaluatorPart = Part | "output";

export const PARTS: readonly Part[] = ["input", "expected", "metadata"];
const WIRE_PART: Record<Part, "input" | "output" | "metadata"> = {
  input: "input",
  expected: "output",
  metadata: "metadata",
};

/** One example of the pinned version, as the reuse rule needs it. */
export interface ExampleRecord {
  sourceId: string;
  hash: string;
  input: Record<string, unknown>;
  output: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export interface EvaluationRecord {
  name: string;
  score: number | null;
  label: string | null;
  explanation: string | null;
  error: string | null;
  seenHash: string;
  reused: boolean;
}

export interface RunRecord {
  sourceId: string;
  contentHash: string;
  seenHash: string;
  output: unknown;
  error: string | null;
  latencySeconds: number | null;
  startedAt: string | null;
  endedAt: string | null;
  reusedFrom: number | null;
  evaluations: EvaluationRecord[];
}

/** An earlier experiment's results, as the reuse rule needs them. */
export interface Previous {
  experimentId: number;
  name?: string;
  taskFingerprint: string;
  evaluators: Record<string, string>;
  runs: Map<string, RunRecord>;
}

/**
 * `sees` checked and in a stable order. Throws {@link UsageError} (`bad_option`) for an
 * empty list, an unknown or a repeated part.
 */
export function checkSees<T extends string>(sees: unknown, allowed: readonly T[], what: string): T[] {
  if (!Array.isArray(sees) || sees.length === 0) {
    throw new UsageError(`${what} must be a non-empty array of ${allowed.join(", ")}`, { code: "bad_option" });
  }
  for (const part of sees) {
    if (!allowed.includes(part as T)) {
      throw new UsageError(`${what}: unknown part ${JSON.stringify(part)}; use ${allowed.join(", ")}`, {
        code: "bad_option",
      });
    }
  }
  if (new Set(sees).size !== sees.length) {
    throw new UsageError(`${what} names a part twice: ${JSON.stringify(sees)}`, { code: "bad_option" });
  }
  return allowed.filter((part) => sees.includes(part));
}

function seenParts(example: ExampleRecord, sees: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const part of PARTS) if (sees.includes(part)) out[WIRE_PART[part]] = example[WIRE_PART[part]];
  return out;
}

/** The hash of the parts of `example` a task that sees `sees` is shown (Python's `seen_hash`). */
export function seenHash(example: ExampleRecord, sees: readonly Part[]): string {
  return hashBytes(canonicalize(seenParts(example, sees)));
}

/**
 * The hash of what an evaluator that sees `sees` is shown: its parts of `example` and, if it
 * sees `output`, the task's output (Python's `evaluation_hash`). Throws `CanonicalError` when
 * `output` is not JSON.
 */
export function evaluationHash(example: ExampleRecord, sees: readonly EvaluatorPart[], output: unknown): string {
  const doc: Record<string, unknown> = { example: seenParts(example, sees) };
  if (sees.includes("output")) doc["output"] = output;
  return hashBytes(canonicalize(doc));
}

const MAX_VERSION = 200;

/**
 * The fingerprint of a task or an evaluator: `version:V` for an explicit `version`, else
 * `code:` + the first 32 hex chars of BLAKE3 over the RFC 8785 bytes of
 * `{"name": fn.name, "source": fn.toString()}`. Any edit of the function's text changes it;
 * edits elsewhere (helpers, a prompt file, a model name in a config) do not: pass a version
 * when those matter. Throws {@link UsageError} (`invalid_task_version`).
 */
export function fingerprint(fn: (...args: never[]) => unknown, version?: string): string {
  if (version !== undefined) {
    if (typeof version !== "string" || version.length === 0 || version.length > MAX_VERSION) {
      throw new UsageError(`taskVersion must be a non-empty string of at most ${MAX_VERSION} chars`, {
        code: "invalid_task_version",
      });
    }
    return `version:${version}`;
  }
  return "code:" + hashBytes(canonicalize({ name: fn.name, source: fn.toString() })).slice(0, 32);
}

/**
 * Split `examples` into those whose task must run and runs copied from `previous` (the earlier
 * experiments, newest first): an example's run comes from the newest one with the same task
 * fingerprint whose run of it ended without an error with an equal `seenHash`.
 */
export function planRuns(
  examples: readonly ExampleRecord[],
  sees: readonly Part[],
  taskFingerprint: string,
  previous: readonly Previous[],
): { toRun: ExampleRecord[]; reused: RunRecord[] } {
  const toRun: ExampleRecord[] = [];
  const reused: RunRecord[] = [];
  const same = previous.filter((p) => p.taskFingerprint === taskFingerprint);
  for (const example of examples) {
    let key: string | null = null;
    let found: RunRecord | null = null;
    for (const earlier of same) {
      const old = earlier.runs.get(example.sourceId);
      if (old === undefined || old.error !== null) continue;
      key ??= seenHash(example, sees);
      if (old.seenHash === key) {
        found = { ...old, contentHash: example.hash, reusedFrom: old.reusedFrom ?? earlier.experimentId, evaluations: [] };
        break;
      }
    }
    if (found !== null) reused.push(found);
    else toRun.push(example);
  }
  return { toRun, reused };
}

/** An evaluator as the reuse rule and the runner need it. */
export interface EvaluatorSpec {
  name: string;
  sees: EvaluatorPart[];
  fingerprint: string;
}

export interface EvaluationJob<E extends EvaluatorSpec = EvaluatorSpec> {
  example: ExampleRecord;
  run: RunRecord;
  evaluator: E;
  seenHash: string;
}

/**
 * Evaluations to copy (`[sourceId, record]`) and to compute, for the runs without an error:
 * copied from the newest earlier experiment that had an evaluator of the same name and
 * fingerprint whose evaluation of that example ended without an error with an equal `seenHash`.
 */
export function planEvaluations<E extends EvaluatorSpec>(
  pairs: readonly [ExampleRecord, RunRecord][],
  evaluators: readonly E[],
  previous: readonly Previous[],
): { copied: [string, EvaluationRecord][]; jobs: EvaluationJob<E>[] } {
  const copied: [string, EvaluationRecord][] = [];
  const jobs: EvaluationJob<E>[] = [];
  for (const [example, run] of pairs) {
    if (run.error !== null) continue;
    for (const evaluator of evaluators) {
      const key = evaluationHash(example, evaluator.sees, run.output);
      const old = earlierEvaluation(run.sourceId, evaluator, key, previous);
      if (old !== null) copied.push([run.sourceId, { ...old, reused: true }]);
      else jobs.push({ example, run, evaluator, seenHash: key });
    }
  }
  return { copied, jobs };
}

function earlierEvaluation(sourceId: string, evaluator: EvaluatorSpec, key: string, previous: readonly Previous[]): EvaluationRecord | null {
  for (const earlier of previous) {
    if (earlier.evaluators[evaluator.name] !== evaluator.fingerprint) continue;
    const old = earlier.runs.get(sourceId)?.evaluations.find((e) => e.name === evaluator.name);
    if (old !== undefined && old.error === null && old.seenHash === key) return old;
  }
  return null;
}

/**
 * A task's return value as plain JSON (what is stored and hashed), or the error recorded for
 * it: `undefined` is `null`; anything content hash v1 refuses (a function, `NaN`, a lone
 * surrogate, a `Map`, an integer past 2^53) is `output is not JSON: …`.
 */
export function jsonOutput(value: unknown): { output: unknown } | { error: string } {
  try {
    return { output: JSON.parse(new TextDecoder().decode(canonicalize(value === undefined ? null : value))) };
  } catch (err) {
    if (err instanceof CanonicalError) return { error: `output is not JSON: ${err.message}` };
    throw err;
  }
}

const MAX_TEXT = 10_000;

function text(value: unknown, what: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "string") throw new ScoreError(`${what} must be a string, not ${typeOf(value)}`);
  return value.slice(0, MAX_TEXT);
}

function score(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new ScoreError(`score must be a finite number, not ${value}`);
    return value;
  }
  throw new ScoreError(`score must be a number or a boolean, not ${typeOf(value)}`);
}

function typeOf(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}

/** An evaluator returned something that is not a score (recorded as its error, never thrown out). */
export class ScoreError extends Error {
  override name = "ScoreError";
}

/**
 * What an evaluator returned, as a record (Python's `normalize_result`): `true`/`false` is score
 * 1/0 with label `"true"`/`"false"`; a finite number a score; a string a label; an object any of
 * `score`, `label`, `explanation`; `null`/`undefined` nothing. Throws {@link ScoreError} otherwise.
 */
export function normalizeResult(name: string, result: unknown): EvaluationRecord {
  const record = (s: number | null, label: string | null = null, explanation: string | null = null): EvaluationRecord => ({
    name, score: s, label, explanation, error: null, seenHash: "", reused: false,
  });
  if (typeof result === "boolean") return record(score(result), result ? "true" : "false");
  if (result === null || result === undefined || typeof result === "number") return record(score(result));
  if (typeof result === "string") return record(null, text(result, "label"));
  if (typeof result === "object" && !Array.isArray(result)) {
    const obj = result as Record<string, unknown>;
    const unknown = Object.keys(obj).filter((k) => !["score", "label", "explanation"].includes(k)).sort();
    if (unknown.length > 0) throw new ScoreError(`unknown keys ${JSON.stringify(unknown)}; use score, label, explanation`);
    return record(score(obj["score"]), text(obj["label"], "label"), text(obj["explanation"], "explanation"));
  }
  throw new ScoreError(`returned ${typeOf(result)}; return a number, a boolean, a label string or {score, label, explanation}`);
}

const EXPERIMENT_NAME = /^[A-Za-z0-9_][A-Za-z0-9 ._:/-]{0,199}$/;
const EVALUATOR_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/;

/** `name` if it is a valid experiment name; else {@link ValidationError} (`invalid_experiment_name`). */
export function checkExperimentName(name: unknown): string {
  if (typeof name !== "string" || !EXPERIMENT_NAME.test(name)) {
    throw new ValidationError(
      `invalid experiment name ${JSON.stringify(name)}: 1..200 chars of letters, digits, space and . _ : / -, starting with a letter, digit or _`,
      { code: "invalid_experiment_name" },
    );
  }
  return name;
}

/** `name` if it is a valid evaluator name; else {@link ValidationError} (`invalid_evaluator_name`). */
export function checkEvaluatorName(name: unknown): string {
  if (typeof name !== "string" || !EVALUATOR_NAME.test(name)) {
    throw new ValidationError(
      `invalid evaluator name ${JSON.stringify(name)}: a letter or _, then letters, digits, _ . - (at most 100 chars)`,
      { code: "invalid_evaluator_name" },
    );
  }
  return name;
}
