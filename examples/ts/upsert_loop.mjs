// The TypeScript client against a datasync server: upsert v1, run an experiment, edit the
// data (1 expected answer corrected, 1 removed, 1 new), upsert v2, re-run the experiment
// (only the new example runs; the corrected one is re-scored without a task call), re-push
// (a no-op), and read both versions back.
//
//   cd js-parity && npm ci && cd ..
//   datasync serve --db /tmp/ds.sqlite &          # http://127.0.0.1:8765
//   DATASYNC_URL=http://127.0.0.1:8765 node examples/ts/upsert_loop.mjs
//
// Exits non-zero if a summary is not what the edit implies (CI runs it as a smoke test).

import { randomUUID } from "node:crypto";

import { createClient, runExperiment } from "../../js-parity/dist/src/index.js";

const ROWS = [
  { id: "q1", input: { question: "2+2?" }, output: { answer: "4" } },
  { id: "q2", input: { question: "capital of France?" }, output: { answer: "Paris" } },
  { id: "q3", input: { question: "largest planet?" }, output: { answer: "Saturn" } },
  { id: "q4", input: { question: "H2O is?" }, output: { answer: "water" } },
];

function check(what, got, want) {
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    console.error(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    process.exit(1);
  }
}

const client = createClient(); // DATASYNC_URL, DATASYNC_API_KEY
const dataset = { datasetName: `ts-upsert-loop-${randomUUID().slice(0, 8)}` };

const v1 = await client.datasets.upsertDataset({ dataset, examples: ROWS, sourceIdKey: "id", message: "v1" });
console.log(`v1: version ${v1.versionId}`, v1.summary);

// A "model" (a lookup here; a real one would call an API) and an evaluator.
const MODEL = { "2+2?": "4", "capital of France?": "Paris", "largest planet?": "Jupiter", "H2O is?": "water", "3*3?": "9" };
const called = [];
async function answer({ sourceId, input }) {
  called.push(sourceId);
  return { answer: MODEL[input.question] };
}
const experiment = (version) =>
  runExperiment({
    client,
    experimentName: "qa-model",
    dataset: { datasetId: version.datasetId, versionId: version.versionId },
    task: answer,
    taskSees: ["input"], // the task is handed only the input: results are reused while it is unchanged
    taskVersion: "model-1", // change it when the model or prompt changes
    evaluators: [{ name: "correct", fn: ({ output, expected }) => output.answer === expected.answer }],
    concurrency: 4,
  });
const first = await experiment(v1);
console.log(`experiment on v1: ran=${first.ran} reused=${first.reused} errors=${first.errors}`, first.scores);
check("first run", [first.ran, first.reused, first.scores.correct], [4, 0, 0.75]);

const edited = ROWS.filter((row) => row.id !== "q4"); // 1 removed
edited[2] = { ...edited[2], output: { answer: "Jupiter" } }; // 1 changed
edited.push({ id: "q5", input: { question: "3*3?" }, output: { answer: "9" } }); // 1 new
const v2 = await client.datasets.upsertDataset({ dataset, examples: edited, message: "v2" });
console.log(`v2: version ${v2.versionId}`, v2.summary);
check("v2 summary", v2.summary, { created: 1, patched: 1, deleted: 1, unchanged: 2, added: 1, updated: 1 });

called.length = 0;
const second = await experiment(v2);
console.log(`experiment on v2: ran=${second.ran} reused=${second.reused} errors=${second.errors}`, second.scores);
console.log(`  task called for: ${called.join(", ")} (q3's corrected answer re-scored without a call)`);
check("second run", [second.ran, second.reused, called, second.scores.correct], [1, 3, ["q5"], 1]);

const again = await client.datasets.upsertDataset({ dataset, examples: edited });
console.log(`again: noOp=${again.noOp}, still version ${again.versionId}`);
check("re-push", [again.noOp, again.versionId], [true, v2.versionId]);

for (const version of await client.datasets.listVersions(dataset)) {
  console.log(`  version ${version.id} (${version.message}):`);
  for await (const ex of client.datasets.iterExamples(dataset, { versionId: version.id })) {
    console.log(`    ${ex.sourceId}: ${ex.input.question} -> ${ex.output.answer}`);
  }
}
