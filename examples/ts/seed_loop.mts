// The seed plan's TypeScript loop, as its users write it (only the imports adapted: datasync's
// TypeScript client for "@arizeai/phoenix-client"): upsert v1, run an experiment, upsert v2,
// run again. The second experiment (another name) runs only q3 and reuses q1: the task's
// fingerprint is derived from its source text and q1's input did not change.
//
//   cd js-parity && npm ci && cd ..
//   datasync serve --db /tmp/ds.sqlite &          # http://127.0.0.1:8765
//   npx --prefix js-parity tsc -p examples/ts     # type-checks this file as written, emits .mjs
//   DATASYNC_URL=http://127.0.0.1:8765 node examples/ts/seed_loop.mjs
//
// Exits non-zero if a result is not what the seed expects (CI runs it as a smoke test).

// ---- the seed's code, as written ----------------------------------------------------------
import { createClient } from "../../js-parity/dist/src/index.js"; // was: "@arizeai/phoenix-client"
import { runExperiment } from "../../js-parity/dist/src/index.js"; // was: ".../experiments"

const client = createClient();

const examplesV1 = [
  { id: "q1", input: { question: "What is AI?" }, output: { answer: "..." }, metadata: {} },
  { id: "q2", input: { question: "What is ML?" }, output: { answer: "..." }, metadata: {} },
];

const upsertV1 = await client.datasets.upsertDataset({
  dataset: { datasetName: "support-benchmark" },
  examples: examplesV1,
  sourceIdKey: "id",
});

const task = async (example: { input: { question: string } }) => ({
  answer: `stub: ${example.input.question}`,
});

const expV1 = await runExperiment({
  client,
  experimentName: "support-v1",
  dataset: { datasetId: upsertV1.datasetId, versionId: upsertV1.versionId },
  task,
});

const examplesV2 = [
  { id: "q1", input: { question: "What is AI?" }, output: { answer: "Artificial Intelligence" }, metadata: {} },
  { id: "q3", input: { question: "What is RL?" }, output: { answer: "..." }, metadata: {} },
];

const upsertV2 = await client.datasets.upsertDataset({
  dataset: { datasetName: "support-benchmark" },
  examples: examplesV2,
  sourceIdKey: "id",
});

const expV2 = await runExperiment({
  client,
  experimentName: "support-v2",
  dataset: { datasetId: upsertV2.datasetId, versionId: upsertV2.versionId },
  task,
});
// ---- what it did ----------------------------------------------------------------------------

function check(what: string, got: unknown, want: unknown): void {
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    console.error(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    process.exit(1);
  }
}

const { added, updated, deleted, unchanged } = upsertV2.summary;
console.log(`v1: version ${upsertV1.versionId}; ${expV1.experiment.name}: ran=${expV1.ran} errors=${expV1.errors}`);
console.log(`v2: version ${upsertV2.versionId}`, { added, updated, deleted, unchanged });
console.log(`${expV2.experiment.name}: ran=${expV2.ran} ${expV2.reuseSummary} errors=${expV2.errors}`);
const runs: [string, number | null][] = [];
for await (const run of client.experiments.iterRuns(expV2.experimentId)) runs.push([run.sourceId, run.reusedFrom]);
console.log("  runs (source id, reused from):", runs);

check("v2 summary", { added, updated, deleted, unchanged }, { added: 1, updated: 1, deleted: 1, unchanged: 0 });
check("first experiment", [expV1.ran, expV1.errors], [2, 0]);
check("second experiment", [expV2.ran, expV2.reused, expV2.errors], [1, 1, 0]);
check("second experiment's runs", runs, [["q1", expV1.experimentId], ["q3", null]]);
check("reuse summary", expV2.reuseSummary, `reused 1 from experiment ${expV1.experimentId} 'support-v1'`);
