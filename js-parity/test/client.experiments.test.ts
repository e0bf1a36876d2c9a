/** runExperiment's pure parts: reuse hashes (Python's vectors), the reuse plan, scores, the runner. No server. */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import {
  type EvaluatorPart,
  type ExampleRecord,
  type Outcome,
  type Part,
  type Previous,
  type RunRecord,
  ScoreError,
  UsageError,
  ValidationError,
  contentHash,
  createClient,
  evaluationHash,
  fingerprint,
  jsonOutput,
  normalizeResult,
  planEvaluations,
  planRuns,
  runCalls,
  runExperiment,
  seenHash,
} from "../src/index.js";

interface Vectors {
  examples: { input: Record<string, unknown>; output: Record<string, unknown>; metadata: Record<string, unknown> }[];
  content_hashes: string[];
  tasks: { example: number; taskSees: Part[]; python: string; seen_hash: string }[];
  evaluations: { example: number; sees: EvaluatorPart[]; python: string; output: unknown; seen_hash: string }[];
  versions: { taskVersion: string; fingerprint: string }[];
}

const VECTORS: Vectors = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../test/vectors/experiment_hashes.json", import.meta.url)), "utf8"),
);

function record(n: number): ExampleRecord {
  const c = VECTORS.examples[n] as Vectors["examples"][number];
  return { sourceId: `ex-${n}`, hash: VECTORS.content_hashes[n] as string, ...c };
}

describe("reuse hashes equal Python's (test/vectors/experiment_hashes.json)", () => {
  it("content hashes of the vector examples", () => {
    VECTORS.examples.forEach((c, n) => assert.equal(contentHash(c), VECTORS.content_hashes[n]));
  });

  it(`a task's seen_hash for every taskSees (${VECTORS.tasks.length} vectors)`, () => {
    assert.ok(VECTORS.tasks.length >= 21);
    for (const v of VECTORS.tasks) {
      assert.equal(seenHash(record(v.example), v.taskSees), v.seen_hash, `${v.python} on example ${v.example}`);
    }
  });

  it("all three parts seen is exactly the content hash (Python's task(example))", () => {
    for (const n of [0, 1, 2]) assert.equal(seenHash(record(n), ["input", "expected", "metadata"]), VECTORS.content_hashes[n]);
  });

  it(`an evaluation's seen_hash (${VECTORS.evaluations.length} vectors)`, () => {
    assert.ok(VECTORS.evaluations.length >= 90);
    for (const v of VECTORS.evaluations) {
      assert.equal(evaluationHash(record(v.example), v.sees, v.output), v.seen_hash, `${v.python} ${JSON.stringify(v.output)}`);
    }
  });

  it("explicit task versions", () => {
    for (const v of VECTORS.versions) assert.equal(fingerprint(() => 1, v.taskVersion), v.fingerprint);
  });
});

describe("fingerprint", () => {
  it("is derived from the function's text: an edit changes it, a copy does not", () => {
    const a = fingerprint(function solve(x: number) { return x + 1; });
    const same = fingerprint(function solve(x: number) { return x + 1; });
    const edited = fingerprint(function solve(x: number) { return x + 2; });
    assert.match(a, /^code:[0-9a-f]{32}$/);
    assert.equal(a, same);
    assert.notEqual(a, edited);
  });

  it("refuses an empty or over-long version", () => {
    for (const bad of ["", "x".repeat(201)]) {
      assert.throws(() => fingerprint(() => 1, bad), (e: unknown) => e instanceof UsageError && e.code === "invalid_task_version");
    }
  });
});

const ex = (id: string, input: unknown, output: unknown = {}, metadata: unknown = {}): ExampleRecord => {
  const content = { input, output, metadata } as Vectors["examples"][number];
  return { sourceId: id, hash: contentHash(content), ...content };
};

function run(example: ExampleRecord, sees: Part[], over: Partial<RunRecord> = {}): RunRecord {
  return {
    sourceId: example.sourceId, contentHash: example.hash, seenHash: seenHash(example, sees), output: { a: example.sourceId },
    error: null, latencySeconds: 0.5, startedAt: null, endedAt: null, reusedFrom: null, evaluations: [], ...over,
  };
}

describe("planRuns", () => {
  const v1 = [ex("a", { q: 1 }, { a: 1 }), ex("b", { q: 2 }, { a: 2 }), ex("c", { q: 3 }), ex("d", { q: 4 })];
  const previous = (runs: RunRecord[], fp = "version:v1", experimentId = 7): Previous[] => [{
    experimentId, taskFingerprint: fp, evaluators: {}, runs: new Map(runs.map((r) => [r.sourceId, r])),
  }];
  const v1runs = [run(v1[0]!, ["input"]), run(v1[1]!, ["input"]), run(v1[2]!, ["input"], { error: "TypeError: x", output: null }), run(v1[3]!, ["input"], { reusedFrom: 3 })];
  // v2: a's input changed, b's expected changed, c unchanged (but errored), d unchanged, e new.
  const v2 = [ex("a", { q: 10 }, { a: 1 }), ex("b", { q: 2 }, { a: 20 }), v1[2]!, v1[3]!, ex("e", { q: 5 })];

  it("reuses exactly the runs whose seen parts are unchanged and that ended without an error", () => {
    const plan = planRuns(v2, ["input"], "version:v1", previous(v1runs));
    assert.deepEqual(plan.toRun.map((e) => e.sourceId), ["a", "c", "e"]);
    assert.deepEqual(plan.reused.map((r) => [r.sourceId, r.reusedFrom, r.contentHash]), [
      ["b", 7, v2[1]!.hash], // copied with the new version's content hash
      ["d", 3, v2[3]!.hash], // keeps where it really ran
    ]);
    assert.deepEqual(plan.reused[0]!.output, { a: "b" });
  });

  it("a task that sees the expected output re-runs when it changed", () => {
    const runs = v1.map((e) => run(e, ["input", "expected"]));
    const plan = planRuns(v2, ["input", "expected"], "version:v1", previous(runs));
    assert.deepEqual(plan.toRun.map((e) => e.sourceId), ["a", "b", "e"]);
  });

  it("another fingerprint, or no previous experiment, runs everything", () => {
    assert.equal(planRuns(v2, ["input"], "version:v2", previous(v1runs)).toRun.length, 5);
    assert.equal(planRuns(v2, ["input"], "version:v1", []).toRun.length, 5);
  });

  it("takes each example from the newest earlier experiment that ran it with the same fingerprint", () => {
    const older = previous(v1runs, "version:v1", 4)[0]!;
    const newer = previous([run(v2[0]!, ["input"])], "version:v1", 9)[0]!; // only a, on v2
    const otherTask = previous(v1runs.map((r) => ({ ...r })), "version:v0", 11)[0]!;
    const plan = planRuns(v2, ["input"], "version:v1", [otherTask, newer, older]);
    assert.deepEqual(plan.toRun.map((e) => e.sourceId), ["c", "e"]);
    assert.deepEqual(plan.reused.map((r) => [r.sourceId, r.reusedFrom]), [["a", 9], ["b", 4], ["d", 3]]);
  });
});

describe("planEvaluations", () => {
  const a1 = ex("a", { q: 1 }, { a: 1 });
  const a2 = ex("a", { q: 1 }, { a: 2 }); // corrected expected output
  const sees: EvaluatorPart[] = ["output", "expected"];
  const spec = { name: "correct", sees, fingerprint: "version:e1" };
  const old = (example: ExampleRecord, error: string | null = null): RunRecord =>
    run(example, ["input"], {
      evaluations: [{ name: "correct", score: 1, label: null, explanation: null, error, seenHash: evaluationHash(example, sees, { a: "a" }), reused: false }],
    });
  const prev = (r: RunRecord, fp = "version:e1"): Previous[] => [{
    experimentId: 1, taskFingerprint: "t", evaluators: { correct: fp }, runs: new Map([[r.sourceId, r]]),
  }];

  it("copies an evaluation whose inputs are unchanged, marked reused", () => {
    const { copied, jobs } = planEvaluations([[a1, run(a1, ["input"])]], [spec], prev(old(a1)));
    assert.deepEqual(jobs, []);
    assert.deepEqual(copied.map(([sid, e]) => [sid, e.score, e.reused]), [["a", 1, true]]);
  });

  it("re-scores a corrected expected output, a changed evaluator and an earlier error", () => {
    assert.equal(planEvaluations([[a2, run(a2, ["input"])]], [spec], prev(old(a1))).jobs.length, 1);
    assert.equal(planEvaluations([[a1, run(a1, ["input"])]], [spec], prev(old(a1), "version:e2")).jobs.length, 1);
    assert.equal(planEvaluations([[a1, run(a1, ["input"])]], [spec], prev(old(a1, "ScoreError: x"))).jobs.length, 1);
  });

  it("does not score runs that ended in an error", () => {
    const failed = run(a1, ["input"], { error: "Error: boom", output: null });
    assert.deepEqual(planEvaluations([[a1, failed]], [spec], []), { copied: [], jobs: [] });
  });
});

describe("normalizeResult and jsonOutput", () => {
  it("turns what evaluators return into scores, labels and explanations as Python does", () => {
    const pick = (v: unknown) => {
      const r = normalizeResult("n", v);
      return [r.score, r.label, r.explanation];
    };
    assert.deepEqual(pick(true), [1, "true", null]);
    assert.deepEqual(pick(false), [0, "false", null]);
    assert.deepEqual(pick(0.25), [0.25, null, null]);
    assert.deepEqual(pick("good"), [null, "good", null]);
    assert.deepEqual(pick(null), [null, null, null]);
    assert.deepEqual(pick(undefined), [null, null, null]);
    assert.deepEqual(pick({ score: true, label: "ok", explanation: "why" }), [1, "ok", "why"]);
    assert.equal(normalizeResult("n", "x".repeat(20_000)).label?.length, 10_000);
  });

  it("refuses anything else with a ScoreError saying why", () => {
    for (const [bad, why] of [[NaN, /finite/], [[1], /returned array/], [{ scor: 1 }, /unknown keys \["scor"\]/], [{ label: 3 }, /label must be a string/]] as const) {
      assert.throws(() => normalizeResult("n", bad), (e: unknown) => e instanceof ScoreError && why.test(e.message));
    }
  });

  it("stores outputs as plain JSON; undefined is null; non-JSON is an error naming why", () => {
    assert.deepEqual(jsonOutput({ b: [1, -0, "é"], a: undefined }), { output: { b: [1, 0, "é"] } });
    assert.deepEqual(jsonOutput(undefined), { output: null });
    for (const bad of [NaN, new Map(), () => 1, "\ud800", 10n]) {
      const got = jsonOutput(bad);
      assert.ok("error" in got && got.error.startsWith("output is not JSON: "), JSON.stringify(got));
    }
  });
});

describe("runCalls", () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("never has more than `concurrency` calls in flight and reports each call once", async () => {
    let inFlight = 0;
    let most = 0;
    const calls = Array.from({ length: 20 }, (_, i) => async () => {
      most = Math.max(most, ++inFlight);
      await sleep(5 + (i % 3));
      inFlight--;
      return i * 2;
    });
    const got = new Map<number, unknown>();
    await runCalls(calls, (i, o) => void got.set(i, o.value), { concurrency: 3 });
    assert.equal(most, 3);
    assert.deepEqual([...got.keys()].sort((a, b) => a - b), [...Array(20).keys()]);
    assert.equal(got.get(7), 14);
  });

  it("records a thrown error and a timeout for that call only; the slot goes on", async () => {
    let aborted = false;
    const calls = [
      () => { throw new TypeError("boom"); },
      async ({ aborted: _ }: AbortSignal) => 1,
      (signal: AbortSignal) => new Promise((resolve) => { signal.addEventListener("abort", () => { aborted = true; }); setTimeout(() => resolve("late"), 300); }),
      async () => "after",
    ];
    const got: Outcome[] = [];
    await runCalls(calls, (i, o) => void (got[i] = o), { concurrency: 1, timeoutMs: 50 });
    assert.equal(got[0]?.error, "TypeError: boom");
    assert.equal(got[1]?.value, 1);
    assert.deepEqual([got[2]?.error, got[2]?.value, aborted], ["timeout: no result after 0.05 s", null, true]);
    assert.ok((got[2]?.seconds ?? 0) >= 0.04 && (got[2]?.seconds ?? 1) < 0.25);
    assert.equal(got[3]?.value, "after");
  });

  it("stops on the signal: nothing new starts, the call in flight is abandoned, what ended was reported", async () => {
    const stop = new AbortController();
    const started: number[] = [];
    const calls = Array.from({ length: 10 }, (_, i) => async () => {
      started.push(i);
      if (i === 2) stop.abort();
      await sleep(i === 2 ? 1000 : 1);
      return i;
    });
    const done: number[] = [];
    const t0 = Date.now();
    await runCalls(calls, (i) => void done.push(i), { concurrency: 1, stop: stop.signal });
    assert.ok(Date.now() - t0 < 500, "the long call was abandoned");
    assert.deepEqual(started.sort(), [0, 1, 2]);
    assert.deepEqual(done.sort(), [0, 1]);
  });
});

describe("runCalls when onDone fails", () => {
  it("stops starting calls and rethrows the error", async () => {
    const started: number[] = [];
    const calls = Array.from({ length: 10 }, (_, i) => async () => {
      started.push(i);
      await new Promise((r) => setTimeout(r, 2));
      return i;
    });
    const failure = new Error("write failed");
    await assert.rejects(
      runCalls(calls, (i) => { if (i === 1) throw failure; }, { concurrency: 2 }),
      (e: unknown) => e === failure,
    );
    assert.ok(started.length <= 4, `started ${started.join(",")}`);
  });
});

describe("runExperiment options are checked before anything is sent", () => {
  let sent = 0;
  const client = createClient({ baseUrl: "http://127.0.0.1:9", fetch: async () => { sent++; throw new Error("no"); } });
  const base = { client, dataset: { datasetId: 1, versionId: 1 }, task: () => 1 };
  const cases: [string, Record<string, unknown>, Function, string][] = [
    ["taskSees with an unknown part", { taskSees: ["output"] }, UsageError, "bad_option"],
    ["an empty taskSees", { taskSees: [] }, UsageError, "bad_option"],
    ["concurrency 0", { concurrency: 0 }, UsageError, "bad_option"],
    ["a timeout of 0", { timeoutMs: 0 }, UsageError, "bad_option"],
    ["reuse 'always'", { reuse: "always" }, UsageError, "bad_option"],
    ["a bad experiment name", { experimentName: "-x" }, ValidationError, "invalid_experiment_name"],
    ["an anonymous evaluator", { evaluators: [() => 1] }, ValidationError, "invalid_evaluator_name"],
    ["two evaluators of one name", { evaluators: [{ name: "e", fn: () => 1 }, { name: "e", fn: () => 2 }] }, UsageError, "duplicate_evaluator"],
    ["an evaluator seeing an unknown part", { evaluators: [{ name: "e", fn: () => 1, sees: ["answer"] }] }, UsageError, "bad_option"],
    ["a task that is not a function", { task: "solve" }, UsageError, "not_callable"],
    ["an empty task version", { taskVersion: "" }, UsageError, "invalid_task_version"],
  ];
  for (const [what, extra, cls, code] of cases) {
    it(`refuses ${what}`, async () => {
      await assert.rejects(
        runExperiment({ ...base, ...extra } as never),
        (e: unknown) => e instanceof cls && (e as UsageError).code === code,
      );
      assert.equal(sent, 0);
    });
  }

  it("refuses a missing client", async () => {
    await assert.rejects(runExperiment({ ...base, client: {} } as never), (e: unknown) => e instanceof UsageError);
  });
});
