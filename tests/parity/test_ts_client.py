"""The TypeScript client against a real server on 127.0.0.1, side by side with the Python client.

Each test starts a live uvicorn server over a fresh SQLite store (``serve`` of
tests/client/conftest.py) and runs short node scripts that import js-parity's build. What is
checked: a dataset pushed from TypeScript and re-pushed from Python with the same rows is a
no-op (and the reverse), so both clients hash and bucket identically; summaries are exact for a
mixed change; a conflict makes the TypeScript client re-plan and retry (a re-plan is guarded
against mass deletes again); the mass-delete guard refuses an empty source; server errors arrive as
typed errors with kind, code and message; and the planner's bucket digests and cost-model steps
match Python's on random inputs. js-parity is installed and built first if needed
(conftest.py); without node these tests fail with a message.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import JS_PARITY, _missing

from datasync.canonical import content_hash
from datasync.client import Client
from datasync.client._remote import EXACT, FAST, SAFE, next_step
from datasync.experiments import bind, evaluation_hash, fingerprint, seen_hash
from datasync.store import Store, open_store
from datasync.sync import ExampleData, LeafTable, bucket_of
from tests.client.conftest import rows, serve

pytestmark = pytest.mark.node

INDEX = JS_PARITY / "dist" / "src" / "index.js"
API_KEY = "ts-key"


def _skip_or_fail() -> None:
    reason = _missing()
    if reason is None and not (JS_PARITY / "dist" / "src" / "client" / "index.js").is_file():
        reason = "js-parity's build has no client: run `cd js-parity && npm run build`"
    if reason is not None:
        pytest.fail(f"the TypeScript client tests cannot run: {reason}", pytrace=False)


class Live:
    """A live server over a fresh SQLite store, and a way to run node scripts against it."""

    def __init__(self, tmp: Path, url: str, store: Store) -> None:
        self.tmp, self.url, self.store = tmp, url, store
        self.python = Client(base_url=url, api_key=API_KEY)

    def node(self, body: str, data: Any = None) -> Any:
        """Run ``body`` (the inside of an async function; ``ds`` is the package, ``client`` a
        client of the server, ``input`` the JSON ``data``) and return what it returns.
        A thrown DatasyncError comes back as ``{"thrown": {...}}``."""
        script = self.tmp / "script.mjs"
        script.write_text(
            f"import * as ds from {json.dumps(INDEX.as_uri())};\n"
            'import { readFileSync } from "node:fs";\n'
            'const input = JSON.parse(readFileSync(process.env.TS_INPUT, "utf8"));\n'
            "const client = ds.createClient();\n"
            "let out;\n"
            f"try {{ out = await (async () => {{\n{body}\n}})(); }}\n"
            "catch (err) { if (!(err instanceof ds.DatasyncError)) throw err;\n"
            "  out = { thrown: { name: err.name, kind: err.kind, code: err.code,"
            " message: err.message, details: err.details, status: err.status ?? null } }; }\n"
            "process.stdout.write(JSON.stringify(out ?? null));\n"
        )
        (self.tmp / "input.json").write_text(json.dumps(data))
        env = {
            **os.environ,
            "DATASYNC_URL": self.url,
            "DATASYNC_API_KEY": API_KEY,
            "TS_INPUT": str(self.tmp / "input.json"),
        }
        done = subprocess.run(
            [shutil.which("node") or "node", str(script)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def upsert_ts(self, name: str, data: list[dict[str, Any]], extra: str = "") -> Any:
        return self.node(
            "return await client.datasets.upsertDataset("
            f"{{ dataset: {{ datasetName: {json.dumps(name)} }}, examples: input{extra} }});",
            data,
        )

    def versions(self, name: str) -> list[int]:
        return [v.id for v in self.python.datasets.list_versions(name)]

    def state(self, name: str, version: int | None = None) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        cursor = None
        while True:
            page = self.store.iter_examples(name, version, limit=1000, cursor=cursor)
            for e in page.items:
                out[e.source_id] = {"input": e.input, "output": e.output, "metadata": e.metadata}
            if page.next_cursor is None:
                return out
            cursor = page.next_cursor


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    _skip_or_fail()
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    url, stop = serve(store, api_key=API_KEY)
    running = Live(tmp_path, url, store)
    try:
        yield running
    finally:
        running.python.close()
        stop()
        store.close()


def tricky_rows() -> list[dict[str, Any]]:
    """Rows whose ids and values exercise the contract: non-ASCII and non-BMP ids (UTF-8 vs
    UTF-16 order), integer ids, floats, big exact integers, nested metadata, extra keys."""
    out: list[dict[str, Any]] = rows(300)
    ids: list[Any] = ["é", "😀", "\ue000", "a b", "Z", "zz" * 40, 7, 2**53]
    for n, sid in enumerate(ids):
        out.append(
            {
                "id": sid,
                "input": {"q": f"{sid}?", "x": [0.1, 1e21, -0.0, 2**60, 5e-324], "é": {"😀": n}},
                "output": {"a": None, "ok": n % 2 == 0},
                "metadata": {"split": "test", "nested": {"k": [1, {"z": "\u2028"}]}},
                "lang": "xx",  # not a part: goes into metadata, in both clients
            }
        )
    return out


def test_ts_push_then_python_push_of_same_rows_is_a_noop(live: Live) -> None:
    data = tricky_rows()
    first = live.upsert_ts("qa", data)
    assert first["summary"] == {
        "created": 308,
        "patched": 0,
        "deleted": 0,
        "unchanged": 0,
        "added": 308,
        "updated": 0,
    }
    assert (first["noOp"], first["total"], first["datasetName"]) == (False, 308, "qa")
    again = live.python.datasets.upsert_dataset(dataset="qa", examples=data)
    assert again.no_op and again.version_id == first["versionId"]
    assert again.summary.to_dict() == {"created": 0, "patched": 0, "deleted": 0, "unchanged": 308}
    assert live.versions("qa") == [first["versionId"]]
    # The server recomputed every hash on commit; the stored content is what Python reads.
    stored = live.state("qa")
    assert stored["7"]["metadata"] == {**data[-2]["metadata"], "lang": "xx"}
    assert stored["9007199254740992"]["input"]["x"] == [0.1, 1e21, 0, 2**60, 5e-324]
    manifest = {e.source_id: e.hash for e in live.store.iter_manifest("qa", first["versionId"])}
    assert manifest["😀"] == content_hash(
        stored["😀"]["input"], stored["😀"]["output"], stored["😀"]["metadata"]
    )


def test_python_push_then_ts_push_of_same_rows_is_a_noop(live: Live) -> None:
    data = tricky_rows()
    first = live.python.datasets.upsert_dataset(dataset="qa", examples=data)
    again = live.upsert_ts("qa", list(reversed(data)))
    assert again["noOp"] is True
    assert (again["versionId"], again["baseVersionId"]) == (first.version_id, first.version_id)
    assert again["summary"] == {
        "created": 0,
        "patched": 0,
        "deleted": 0,
        "unchanged": 308,
        "added": 0,
        "updated": 0,
    }
    assert live.versions("qa") == [first.version_id]


def test_ts_mixed_change_summary_is_exact_and_store_matches(live: Live) -> None:
    data = rows(2000)
    v1 = live.python.datasets.upsert_dataset(dataset="qa", examples=data)
    changed = [dict(r) for r in data]
    for i in range(0, 2000, 100):  # 20 patched
        changed[i] = {**changed[i], "output": {"answer": "fixed"}}
    removed = {changed[i]["id"] for i in range(7, 2000, 200)}  # 10 deleted
    changed = [r for r in changed if r["id"] not in removed] + rows(10, start=5000)  # 10 new
    v2 = live.upsert_ts("qa", changed, ', message: "v2", tags: { team: "ml" }')
    assert v2["summary"] == {
        "created": 10,
        "patched": 20,
        "deleted": 10,
        "unchanged": 1970,
        "added": 10,
        "updated": 20,
    }
    assert (v2["baseVersionId"], v2["total"], v2["noOp"]) == (v1.version_id, 2000, False)
    expected = {str(r["id"]): {k: r[k] for k in ("input", "output", "metadata")} for r in changed}
    assert live.state("qa") == expected
    head = live.python.datasets.list_versions("qa")[0]
    assert (head.id, head.message, head.tags) == (v2["versionId"], "v2", {"team": "ml"})
    # And Python agrees there is nothing left to push.
    assert live.python.datasets.upsert_dataset(dataset="qa", examples=changed).no_op


def test_ts_append_mode_never_deletes(live: Live) -> None:
    live.upsert_ts("qa", rows(50))
    out = live.upsert_ts("qa", rows(5, start=100), ', mode: "append"')
    assert out["summary"] == {
        "created": 5,
        "patched": 0,
        "deleted": 0,
        "unchanged": 50,
        "added": 5,
        "updated": 0,
    }
    assert len(live.state("qa")) == 55


# A fetch that lets another client push first, just before this client's commit goes out.
_INTERLOPER = """
const other = ds.createClient();
let commits = 0, interrupted = 0;
const statuses = [];
const fetchThrough = async (url, init) => {
  if (String(url).endsWith("/commits") && interrupted < input.interrupt) {
    interrupted += 1;
    await other.datasets.upsertDataset({ dataset: { datasetName: "qa" }, maxDelete: "100%",
      mode: input.otherMode ?? "mirror",
      examples: input.other.map((r) => ({ ...r, output: { answer: `other ${interrupted}` } })) });
  }
  const response = await fetch(url, init);
  if (String(url).endsWith("/commits")) { commits += 1; statuses.push(response.status); }
  return response;
};
const mine = ds.createClient({ fetch: fetchThrough });
let result;
try {
  result = await mine.datasets.upsertDataset({
    dataset: { datasetName: "qa" }, examples: input.mine, retries: input.retries ?? 10 });
} catch (err) {
  if (!(err instanceof ds.DatasyncError)) throw err;
  return { thrown: { name: err.name, kind: err.kind, code: err.code, message: err.message,
    details: err.details }, commits, statuses };
}
return { result, commits, statuses };
"""


def test_ts_conflict_replans_once_and_wins(live: Live) -> None:
    base = rows(100)
    live.python.datasets.upsert_dataset(dataset="qa", examples=base)
    mine = [{**r, "output": {"answer": "mine"}} if i < 3 else r for i, r in enumerate(base)]
    out = live.node(_INTERLOPER, {"mine": mine, "other": base[50:60], "interrupt": 1})
    assert out["statuses"] == [409, 201]  # stale base, then the re-planned commit
    _, v2, v3 = reversed(live.versions("qa"))
    assert out["result"]["baseVersionId"] == v2 and out["result"]["versionId"] == v3
    # The interloper mirrored 10 rows onto v2; the re-plan against v2 restores the rest.
    assert out["result"]["summary"] == {
        "created": 90,
        "patched": 10,
        "deleted": 0,
        "unchanged": 0,
        "added": 90,
        "updated": 10,
    }
    expected = {str(r["id"]): {k: r[k] for k in ("input", "output", "metadata")} for r in mine}
    assert live.state("qa") == expected


def test_ts_conflicts_are_retried_until_the_push_lands(live: Live) -> None:
    base = rows(20)
    live.python.datasets.upsert_dataset(dataset="qa", examples=base)
    mine = [{**base[0], "output": {"answer": "mine"}}, *base[1:]]
    out = live.node(_INTERLOPER, {"mine": mine, "other": base, "interrupt": 3})
    assert out["statuses"] == [409, 409, 409, 201]
    assert out["result"]["versionId"] == live.versions("qa")[0]
    assert live.state("qa")[str(base[0]["id"])]["output"] == {"answer": "mine"}


def test_ts_conflicts_beyond_the_attempts_are_raised(live: Live) -> None:
    base = rows(20)
    live.python.datasets.upsert_dataset(dataset="qa", examples=base)
    mine = [{**base[0], "output": {"answer": "mine"}}, *base[1:]]
    out = live.node(_INTERLOPER, {"mine": mine, "other": base, "interrupt": 2, "retries": 2})
    thrown = out["thrown"]
    assert (thrown["name"], thrown["kind"], thrown["code"]) == (
        "ConflictError",
        "conflict",
        "stale_base",
    )
    assert out["statuses"] == [409, 409]
    assert "2 attempt(s)" in thrown["message"] and "retries" in thrown["message"]
    assert thrown["details"]["head_version_id"] == live.versions("qa")[0]
    assert "mine" not in json.dumps(live.state("qa"))  # nothing of this push was applied


def test_ts_replan_after_a_conflict_is_guarded_again(live: Live) -> None:
    base = rows(10)
    live.python.datasets.upsert_dataset(dataset="qa", examples=base)
    mine = [{**r, "output": {"answer": "mine"}} for r in base]
    extra = rows(30, start=100)
    out = live.node(
        _INTERLOPER, {"mine": mine, "other": extra, "interrupt": 1, "otherMode": "append"}
    )
    assert (out["thrown"]["name"], out["thrown"]["code"]) == (
        "DeleteGuardError",
        "too_many_deletes",
    )
    assert out["statuses"] == [409]  # the re-plan was never sent
    assert len(live.state("qa")) == 40


def test_ts_empty_source_is_refused_unless_everything_is_allowed(live: Live) -> None:
    live.upsert_ts("qa", rows(12))
    out = live.upsert_ts("qa", [])
    assert (out["thrown"]["name"], out["thrown"]["kind"], out["thrown"]["code"]) == (
        "DeleteGuardError",
        "delete_guard",
        "empty_source",
    )
    assert "--max-delete 100%" in out["thrown"]["message"]
    assert len(live.state("qa")) == 12
    out = live.upsert_ts("qa", rows(3), ', maxDelete: "100%"')
    assert out["summary"]["deleted"] == 9 and len(live.state("qa")) == 3
    out = live.upsert_ts("qa", rows(1), ", maxDelete: 1")
    assert out["thrown"]["code"] == "too_many_deletes" and len(live.state("qa")) == 3
    out = live.upsert_ts("qa", rows(1), ", maxDelete: 2")
    assert out["summary"]["deleted"] == 2 and len(live.state("qa")) == 1


def test_server_errors_arrive_as_typed_errors(live: Live) -> None:
    no_key = live.node(
        'return await ds.createClient({ apiKey: "" }).datasets.listDatasets();'.replace(
            '""', '"wrong"'
        )
    )["thrown"]
    assert (no_key["name"], no_key["kind"], no_key["code"], no_key["status"]) == (
        "AuthError",
        "auth",
        "invalid_api_key",
        401,
    )
    missing = live.node("return await client.datasets.getDataset({ datasetId: 4242 });")["thrown"]
    assert (missing["name"], missing["code"], missing["status"]) == (
        "NotFoundError",
        "dataset_not_found",
        404,
    )
    assert "4242" in missing["message"]
    bad_tag = live.upsert_ts("qa", rows(3), ', tags: { "datasync.owner": "me" }')["thrown"]
    assert (bad_tag["name"], bad_tag["kind"], bad_tag["status"]) == ("TagError", "tag", 422)
    assert bad_tag["code"] == "reserved_tag" and "datasync." in bad_tag["message"]
    assert live.python.datasets.list_datasets() == []  # nothing was written by the refusals


def test_ts_reads_versions_examples_and_filters(live: Live) -> None:
    data = rows(30)
    v1 = live.python.datasets.upsert_dataset(dataset="qa", examples=data, tags={"env": "prod"})
    live.python.datasets.upsert_dataset(dataset="qa", examples=data[:29])
    live.python.datasets.upsert_dataset(dataset="other", examples=rows(2))
    httpx.put(
        f"{live.url}/v1/datasets/other/tags",
        json={"tags": {"team": "ml"}},
        headers={"Authorization": f"Bearer {API_KEY}"},
    ).raise_for_status()
    out = live.node(
        """
const qa = { datasetName: "qa" };
const versions = await client.datasets.listVersions(qa, { tags: { env: "prod" } });
const byTag = await client.datasets.listDatasets({ tags: { team: "ml" } });
const all = await client.datasets.listDatasets();
const where = { split: "test" };
const page = await client.datasets.getExamples(qa, { where, limit: 3 });
const every = [];
for await (const e of client.datasets.iterExamples(qa, { where })) every.push(e.sourceId);
const got = await client.datasets.getDataset({ datasetName: "qa" }, { versionId: input });
return { versions, byTag: byTag.map((d) => d.name), all: all.map((d) => d.name), page, every, got };
""",
        v1.version_id,
    )
    assert [v["id"] for v in out["versions"]] == [v1.version_id]
    assert out["versions"][0]["tags"] == {"env": "prod"} and out["versions"][0]["total"] == 30
    assert (out["byTag"], out["all"]) == (["other"], ["qa", "other"])
    tests = [r["id"] for r in data if r["metadata"] == {"split": "test"}]
    assert [e["sourceId"] for e in out["page"]["items"]] == tests[:3]
    assert out["page"]["nextCursor"] is not None and out["every"] == tests
    first = out["page"]["items"][0]
    assert first["hash"] == content_hash(first["input"], first["output"], first["metadata"])
    assert out["got"]["summary"] == {
        "created": 30,
        "patched": 0,
        "deleted": 0,
        "unchanged": 0,
        "added": 30,
        "updated": 0,
    }
    assert (out["got"]["versionId"], out["got"]["total"]) == (v1.version_id, 30)


def test_bucket_digests_and_planner_steps_match_python(live: Live) -> None:
    rng = random.Random(9)
    alphabet = "abcé😀\ue000\u2028 -_0123456789"
    manifest = {
        "".join(
            rng.choice(alphabet) for _ in range(rng.randint(1, 12))
        ): f"{rng.getrandbits(256):064x}"
        for _ in range(3000)
    }
    table = LeafTable.from_manifest(manifest)
    levels = {bits: [rng.randrange(1 << bits) for _ in range(20)] for bits in (0, 3, 8, 12, 16)}
    fingerprints = {"FAST": FAST, "SAFE": SAFE, "EXACT": EXACT}
    steps = [
        (rng.randint(0, 15), rng.randint(1, 50), rng.randint(1, 10**6), rng.random() * 10**4, f)
        for f in fingerprints
        for _ in range(100)
    ]
    out = live.node(
        """
const table = ds.LeafTable.fromManifest(new Map(input.manifest));
const digests = {};
for (const [bits, nodes] of Object.entries(input.levels))
  digests[bits] = nodes.map((n) => table.nodeDigest(Number(bits), n));
const steps = input.steps.map(([b, d, c, ch, f]) => ds.nextStep(b, d, c, ch, ds[f]));
const buckets = input.manifest.map(([id]) => ds.bucketOf(id));
return { root: table.root(), digests, steps, buckets };
""",
        {"manifest": list(manifest.items()), "levels": levels, "steps": steps},
    )
    assert out["root"] == table.root()
    assert out["digests"] == {
        str(bits): [table.node_digest(bits, n) for n in nodes] for bits, nodes in levels.items()
    }
    assert out["buckets"] == [bucket_of(sid) for sid in manifest]
    for (bits, differing, count, changes, name), got in zip(steps, out["steps"], strict=True):
        want = next_step(bits, differing, count, changes, fingerprints[name])
        assert (got["kind"], got.get("bits", 0)) == (want.kind, want.bits), (bits, differing, count)


# --- runExperiment: the reuse rule across languages (docs/experiments.md) -----------------

VECTORS = JS_PARITY / "test" / "vectors" / "experiment_hashes.json"


def _bound(params: str, *, evaluator: bool = False) -> Any:
    scope: dict[str, Any] = {}
    exec(f"def f({params}):\n    return None\n", scope)
    return bind(scope["f"], evaluator=evaluator)


def test_experiment_hash_vectors_are_what_python_computes() -> None:
    """The vector file npm test checks TypeScript against holds Python's values (it is never
    regenerated by tests): every case re-derived from a Python function bound by name."""
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    examples = [
        ExampleData(f"ex-{n}", c["input"], c["output"], c["metadata"])
        for n, c in enumerate(vectors["examples"])
    ]
    for example, want in zip(examples, vectors["content_hashes"], strict=True):
        assert content_hash(example.input, example.output, example.metadata) == want
    names = {"input": "input", "expected": "output", "metadata": "metadata", "output": "output"}
    for v in vectors["tasks"]:
        binding = _bound(v["python"])
        assert sorted(names[p] for p in v["taskSees"]) == list(binding.parts)
        assert seen_hash(examples[v["example"]], binding) == v["seen_hash"]
    for v in vectors["evaluations"]:
        binding = _bound(v["python"], evaluator=True)
        assert ("output" in v["sees"]) == binding.sees_output
        got = evaluation_hash(examples[v["example"]], binding, v["output"])
        assert got == v["seen_hash"]
    for v in vectors["versions"]:
        assert fingerprint(len, v["taskVersion"]) == v["fingerprint"]
    # Every non-empty set of task-visible parts is covered.
    assert len({tuple(v["taskSees"]) for v in vectors["tasks"]}) == 7


def test_ts_seen_hashes_equal_python_on_tricky_examples(live: Live) -> None:
    data = [{k: r[k] for k in ("input", "output", "metadata")} for r in tricky_rows()[-8:]]
    sees = [["input"], ["expected"], ["input", "expected"], ["input", "expected", "metadata"]]
    out = live.node(
        """
const rec = (c, i) => ({ sourceId: String(i), hash: "", ...c });
return input.data.map((c, i) => ({
  task: input.sees.map((s) => ds.seenHash(rec(c, i), s)),
  evaluation: ds.evaluationHash(rec(c, i), ["output", "expected"], { out: c.input }),
}));
""",
        {"data": data, "sees": sees},
    )
    params = ["input", "expected", "input, expected", "example"]
    for content, got in zip(data, out, strict=True):
        example = ExampleData("x", content["input"], content["output"], content["metadata"])
        assert got["task"] == [seen_hash(example, _bound(p)) for p in params]
        binding = _bound("output, expected", evaluator=True)
        assert got["evaluation"] == evaluation_hash(example, binding, {"out": content["input"]})


ANSWERS = {
    **{"2+2": "4", "3*3": "9", "capital of France": "Paris", "H2O": "water"},
    **{"2+3": "5", "10/2": "5"},
}
CALC_V1 = [
    {"id": "q1", "input": {"question": "2+2"}, "output": {"answer": "4"}},
    {"id": "q2", "input": {"question": "3*3"}, "output": {"answer": "6"}},  # wrong expected
    {"id": "q3", "input": {"question": "capital of France"}, "output": {"answer": "Paris"}},
    {"id": "q4", "input": {"question": "H2O"}, "output": {"answer": "water"}},
]
# v2: q1's input changed, q2's expected output corrected, q3 removed, q5 added.
CALC_V2 = [
    {**CALC_V1[0], "input": {"question": "2+3"}, "output": {"answer": "5"}},
    {**CALC_V1[1], "output": {"answer": "9"}},
    CALC_V1[3],
    {"id": "q5", "input": {"question": "10/2"}, "output": {"answer": "5"}},
]

# The TypeScript side: runExperiment with an explicit task version, recording which
# examples the task was called for. `input` = {dataset, version, name, taskSees?, evalVersion?}.
_TS_RUN = """
const answers = input.answers;
const called = [];
const result = await ds.runExperiment({
  client,
  experimentName: input.name,
  dataset: { datasetName: input.dataset, versionId: input.version },
  task: async ({ sourceId, input: q }) => {
    called.push(sourceId);
    return { answer: answers[q.question] };
  },
  taskSees: input.taskSees ?? ["input"],
  taskVersion: "v1",
  evaluators: [{ name: "correct", fn: ({ output, expected }) => output.answer === expected.answer,
                 ...(input.evalVersion ? { version: input.evalVersion } : {}) }],
  concurrency: 2,
});
return { result, called: called.sort() };
"""


def _solve(input: dict[str, Any]) -> dict[str, Any]:
    return {"answer": ANSWERS[input["question"]]}


def _correct(output: dict[str, Any], expected: dict[str, Any]) -> bool:
    return bool(output["answer"] == expected["answer"])


EVALUATORS = [("correct", _correct)]


def _runs(live: Live, experiment_id: int) -> dict[str, Any]:
    return {r.source_id: r for r in live.python.experiments.get(experiment_id).runs()}


def _ts_run(live: Live, version: int | None, **extra: Any) -> Any:
    data = {"answers": ANSWERS, "dataset": "calc", "version": version, "name": "calc", **extra}
    return live.node(_TS_RUN, data)


def test_python_experiment_rerun_from_ts_on_v2_reuses_exactly_the_unchanged(live: Live) -> None:
    v1 = live.python.datasets.upsert_dataset(dataset="calc", examples=CALC_V1)
    first = live.python.experiments.run(
        ("calc", v1.version_id), _solve, EVALUATORS, "calc", task_version="v1", progress=False
    )
    assert (first.ran, first.reused, first.scores) == (4, 0, {"correct": 0.75})
    v2 = live.python.datasets.upsert_dataset(dataset="calc", examples=CALC_V2)
    out = _ts_run(live, v2.version_id)
    result = out["result"]
    assert out["called"] == ["q1", "q5"]  # the changed input and the new example only
    assert (result["ran"], result["reused"], result["errors"]) == (2, 2, 0)
    assert result["scores"] == {"correct": 1.0}  # q2 re-scored against the corrected answer
    exp = result["experiment"]
    assert (exp["versionId"], exp["reusedFromId"], exp["status"]) == (
        v2.version_id,
        first.id,
        "complete",
    )
    assert exp["taskFingerprint"] == first.task_fingerprint == "version:v1"
    before, after = _runs(live, first.id), _runs(live, result["experimentId"])
    assert sorted(after) == ["q1", "q2", "q4", "q5"]
    for sid in ("q2", "q4"):  # copied: Python's output and seen hash, where it really ran
        assert after[sid].reused_from == first.id
        assert (after[sid].output, after[sid].seen_hash) == (
            before[sid].output,
            before[sid].seen_hash,
        )
    manifest = {e.source_id: e.hash for e in live.store.iter_manifest("calc", v2.version_id)}
    assert (after["q1"].output, after["q5"].output) == ({"answer": "5"}, {"answer": "5"})
    for sid in ("q1", "q5"):
        assert after[sid].reused_from is None and after[sid].content_hash == manifest[sid]
    # Evaluators have no shared fingerprint across languages: every run is scored afresh.
    assert all(not e.reused for r in after.values() for e in r.evaluations)
    assert {sid: r.evaluation("correct").score for sid, r in after.items()} == dict.fromkeys(
        after, 1.0
    )


def test_ts_experiment_rerun_from_python_on_v2_reuses_exactly_the_unchanged(live: Live) -> None:
    v1 = live.python.datasets.upsert_dataset(dataset="calc", examples=CALC_V1)
    out = _ts_run(live, v1.version_id)
    assert out["called"] == ["q1", "q2", "q3", "q4"]
    assert (out["result"]["ran"], out["result"]["reused"]) == (4, 0)
    assert out["result"]["scores"] == {"correct": 0.75}
    ts_id = out["result"]["experimentId"]
    v2 = live.python.datasets.upsert_dataset(dataset="calc", examples=CALC_V2)
    calls: list[str] = []

    def solve(input: dict[str, Any]) -> dict[str, Any]:
        calls.append(input["question"])
        return _solve(input)

    second = live.python.experiments.run(
        ("calc", v2.version_id), solve, EVALUATORS, "calc", task_version="v1", progress=False
    )
    assert sorted(calls) == ["10/2", "2+3"]
    assert (second.ran, second.reused, second.errors) == (2, 2, 0)
    assert second.scores == {"correct": 1.0}
    runs = _runs(live, second.id)
    assert {sid for sid, r in runs.items() if r.reused_from == ts_id} == {"q2", "q4"}


def test_ts_task_seeing_more_parts_does_not_reuse_a_python_task_input(live: Live) -> None:
    v1 = live.python.datasets.upsert_dataset(dataset="calc", examples=CALC_V1)
    live.python.experiments.run(
        ("calc", v1.version_id), _solve, EVALUATORS, "calc", task_version="v1", progress=False
    )
    # Same version, same task version, but the task declares it sees the expected output too:
    # what it saw is hashed differently, so nothing is reused.
    out = _ts_run(live, v1.version_id, taskSees=["input", "expected"])
    assert (out["result"]["ran"], out["result"]["reused"]) == (4, 0)
    assert out["called"] == ["q1", "q2", "q3", "q4"]


def test_ts_rerun_reuses_its_own_evaluations_and_rescores_a_corrected_expected(live: Live) -> None:
    v1 = live.python.datasets.upsert_dataset(dataset="calc", examples=CALC_V1)
    first = _ts_run(live, v1.version_id, evalVersion="e1")["result"]
    v2 = live.python.datasets.upsert_dataset(dataset="calc", examples=CALC_V2)
    out = _ts_run(live, v2.version_id, evalVersion="e1")
    assert out["called"] == ["q1", "q5"]
    assert (out["result"]["ran"], out["result"]["reused"]) == (2, 2)
    runs = _runs(live, out["result"]["experimentId"])
    reused = {sid: r.evaluation("correct").reused for sid, r in runs.items()}
    # q4: unchanged, its evaluation copied; q2: the corrected answer re-scored, no task call.
    assert reused == {"q1": False, "q2": False, "q4": True, "q5": False}
    assert runs["q2"].evaluation("correct").score == 1.0
    assert runs["q2"].reused_from == first["experimentId"]
    assert out["result"]["experiment"]["evaluators"] == {"correct": "version:e1"}


_TS_FAILING = """
const result = await ds.runExperiment({
  client,
  experimentName: "flaky",
  dataset: { datasetName: "qa", versionId: input.version },
  task: async ({ sourceId, input: q }, { signal }) => {
    if (sourceId === input.boom) throw new RangeError("boom " + q.question.length);
    if (sourceId === input.hang && input.hangs) return new Promise((resolve) => {
      const t = setTimeout(() => resolve("late"), 5000);
      signal.addEventListener("abort", () => clearTimeout(t));
    });
    return { echo: q.question };
  },
  evaluators: [
    { name: "short", fn: ({ output }) => output.echo.length < 20, sees: ["output"] },
    { name: "bad", fn: ({ sourceId }) => {
      if (sourceId === input.badEval) throw new Error("no score");
      return "ok";
    } },
  ],
  taskVersion: "v1",
  timeoutMs: 200,
  concurrency: 3,
  where: { split: "test" },
});
return result;
"""


def test_ts_task_errors_timeouts_and_evaluator_errors_are_recorded(live: Live) -> None:
    data = rows(20)
    v1 = live.python.datasets.upsert_dataset(dataset="qa", examples=data)
    tests = [str(r["id"]) for r in data if r["metadata"] == {"split": "test"}]  # 5 of them
    spec = {"version": v1.version_id, "boom": tests[0], "hang": tests[1], "badEval": tests[2]}
    first = live.node(_TS_FAILING, {**spec, "hangs": True})
    assert (first["ran"], first["reused"], first["errors"]) == (5, 0, 2)
    runs = _runs(live, first["experimentId"])
    assert sorted(runs) == tests
    question = {e.source_id: e.input["question"] for e in live.store.iter_examples("qa").items}
    assert runs[tests[0]].error == f"RangeError: boom {len(question[tests[0]])}"
    assert runs[tests[0]].output is None
    assert runs[tests[1]].error == "timeout: no result after 0.2 s"
    assert runs[tests[2]].output == {"echo": question[tests[2]]}  # kept
    bad = runs[tests[2]].evaluation("bad")
    assert bad is not None and bad.error == "Error: no score" and bad.score is None
    assert runs[tests[3]].evaluation("bad").label == "ok"
    stats = first["experiment"]["scores"]
    assert (stats["bad"]["count"], stats["bad"]["errors"]) == (3, 1)
    assert (stats["short"]["mean"], first["scores"]["short"]) == (1.0, 1.0)
    # Re-run: the two errors run again (the hang now answers); the rest is reused.
    second = live.node(_TS_FAILING, {**spec, "hangs": False, "boom": None})
    assert (second["ran"], second["reused"], second["errors"]) == (2, 3, 0)
    again = _runs(live, second["experimentId"])
    assert {sid for sid, r in again.items() if r.reused_from is None} == set(tests[:2])
    # The evaluator that failed scores again; the one that succeeded is copied.
    assert again[tests[2]].evaluation("bad").reused is False
    assert again[tests[3]].evaluation("bad").reused is True


def test_ts_stopped_experiment_keeps_what_finished_and_is_marked_interrupted(live: Live) -> None:
    v1 = live.python.datasets.upsert_dataset(dataset="qa", examples=rows(12))
    out = live.node(
        """
const stop = new AbortController();
let done = 0;
try {
  await ds.runExperiment({
    client, experimentName: "stopped", dataset: { datasetName: "qa", versionId: input },
    task: async ({ sourceId }) => {
      if (++done === 6) { stop.abort(new Error("stop")); return new Promise(() => {}); }
      return { ok: sourceId };
    },
    taskVersion: "v1", concurrency: 1, signal: stop.signal,
  });
} catch (err) { return { thrown: String(err), done }; }
return { thrown: null };
""",
        v1.version_id,
    )
    assert out == {"thrown": "Error: stop", "done": 6}
    stopped = live.python.experiments.list(dataset="qa", name="stopped")[0]
    assert (stopped.status, stopped.ran, stopped.reused) == ("interrupted", 5, 0)
    rerun = live.node(
        """
return await ds.runExperiment({ client, experimentName: "stopped",
  dataset: { datasetName: "qa", versionId: input }, task: ({ sourceId }) => ({ ok: sourceId }),
  taskVersion: "v1" });
""",
        v1.version_id,
    )
    assert (rerun["ran"], rerun["reused"], rerun["experiment"]["reusedFromId"]) == (
        7,
        5,
        stopped.id,
    )


def test_ts_experiment_over_many_examples_batches_bounds_concurrency_and_python_reuses_it(
    live: Live,
) -> None:
    data = rows(250)
    v1 = live.python.datasets.upsert_dataset(dataset="qa", examples=data)
    out = live.node(
        """
let inFlight = 0, most = 0;
const result = await ds.runExperiment({
  client, experimentName: "big", dataset: { datasetName: "qa" },
  task: async ({ input }) => {
    most = Math.max(most, ++inFlight);
    await new Promise((r) => setTimeout(r, 2));
    inFlight--;
    return { n: input.question.length };
  },
  taskVersion: "v1", concurrency: 8, tags: { model: "m1" }, metadata: { note: "é" },
});
return { result, most };
"""
    )
    assert out["most"] == 8
    result = out["result"]
    assert (result["ran"], result["reused"], result["errors"]) == (250, 0, 0)
    assert result["experiment"]["versionId"] == v1.version_id  # no versionId: the head
    [listed] = live.python.experiments.list(dataset="qa", tags={"model": "m1"})
    assert (listed.id, listed.metadata, listed.status) == (
        result["experimentId"],
        {"note": "é"},
        "complete",
    )
    runs = _runs(live, listed.id)
    assert len(runs) == 250
    stored = live.state("qa")
    assert all(r.output == {"n": len(stored[sid]["input"]["question"])} for sid, r in runs.items())

    def task(input: dict[str, Any]) -> Any:
        raise AssertionError("every run is reused")

    again = live.python.experiments.run(
        ("qa", v1.version_id), task, None, "big", task_version="v1", progress=False
    )
    assert (again.ran, again.reused, again.errors) == (0, 250, 0)


def test_ts_reuse_none_reuse_from_and_an_unknown_reuse_from(live: Live) -> None:
    v1 = live.python.datasets.upsert_dataset(dataset="calc", examples=CALC_V1)
    first = live.python.experiments.run(
        ("calc", v1.version_id), _solve, EVALUATORS, "calc", task_version="v1", progress=False
    )
    script = """
return await ds.runExperiment({ client, experimentName: input.name,
  dataset: { datasetName: "calc", versionId: input.version },
  task: ({ input: q }) => ({ answer: q.question }), taskVersion: "v1", ...input.extra });
"""
    spec = {"version": v1.version_id}
    none = live.node(script, {**spec, "name": "calc", "extra": {"reuse": "none"}})
    assert (none["ran"], none["reused"], none["experiment"]["reusedFromId"]) == (4, 0, None)
    # Another name, reusing an explicit experiment: everything copied from it.
    other = live.node(script, {**spec, "name": "other", "extra": {"reuseFrom": first.id}})
    assert (other["ran"], other["reused"], other["experiment"]["reusedFromId"]) == (0, 4, first.id)
    missing = live.node(script, {**spec, "name": "x", "extra": {"reuseFrom": 4242}})["thrown"]
    assert (missing["name"], missing["code"], missing["status"]) == (
        "NotFoundError",
        "experiment_not_found",
        404,
    )
    assert [e.name for e in live.python.experiments.list(dataset="calc")] == [
        "other",
        "calc",
        "calc",
    ]


def test_ts_diff_versions_equals_python_and_pages(live: Live) -> None:
    data = rows(30)
    v1 = live.python.datasets.upsert_dataset(dataset="qa", examples=data)
    changed = [{**r, "output": {"answer": "x"}} if i % 3 == 0 else r for i, r in enumerate(data)]
    v2 = live.python.datasets.upsert_dataset(dataset="qa", examples=changed[1:] + rows(2, 90))
    out = live.node(
        "const diff = await client.datasets.diffVersions('qa', input.a, undefined,"
        " { pageSize: 4 });\n"
        "const changes = [];\n"
        "for await (const c of diff.changes()) changes.push(c);\n"
        "return { a: diff.a.id, b: diff.b.id, summary: diff.summary, changes };",
        {"a": v1.version_id},
    )
    python = live.python.datasets.diff_versions("qa", v1.version_id, v2.version_id)
    assert (out["a"], out["b"]) == (v1.version_id, v2.version_id)
    counts = {k: out["summary"][k] for k in ("created", "patched", "deleted", "unchanged")}
    assert counts == python.summary.to_dict()
    assert counts == {"created": 2, "patched": 9, "deleted": 1, "unchanged": 20}
    assert (out["summary"]["added"], out["summary"]["updated"]) == (2, 9)
    expected = [
        {
            "sourceId": c.source_id,
            "kind": c.kind.value,
            "oldHash": c.old_hash,
            "newHash": c.new_hash,
            "fields": [f.to_wire() for f in c.fields],
            "content": c.content,
        }
        for c in python
    ]
    assert out["changes"] == expected
    missing = live.node("return await client.datasets.diffVersions('qa', 1, 999);")
    assert missing["thrown"]["code"] == "version_not_found"


SEED_V1 = [
    {"id": "q1", "input": {"question": "What is AI?"}, "output": {"answer": "..."}, "metadata": {}},
    {"id": "q2", "input": {"question": "What is ML?"}, "output": {"answer": "..."}, "metadata": {}},
]
SEED_V2 = [
    {"id": "q1", "input": {"question": "What is AI?"}, "output": {"answer": "AI"}, "metadata": {}},
    {"id": "q3", "input": {"question": "What is RL?"}, "output": {"answer": "..."}, "metadata": {}},
]


def test_ts_seed_loop_reuses_across_names_with_per_dataset_versions(live: Live) -> None:
    """The seed's TypeScript loop: another dataset pushed in between does not shift version
    numbers; the summary carries added/updated; the task gets the example with `id`; the
    second experiment (another name, no taskVersion) runs q3 only and says where q1 came from."""
    live.upsert_ts("elsewhere", SEED_V1)
    out = live.node(
        """
        const asked = [];
        const task = async (example) => {
          asked.push(example.id);
          return { answer: `stub: ${example.input.question}` };
        };
        const dataset = { datasetName: "support-benchmark" };
        const up = (examples) =>
          client.datasets.upsertDataset({ dataset, examples, sourceIdKey: "id" });
        const run = (name, v) => ds.runExperiment({
          client, experimentName: name, task,
          dataset: { datasetId: v.datasetId, versionId: v.versionId },
        });
        const v1 = await up(input.v1);
        const e1 = await run("support-v1", v1);
        const v2 = await up(input.v2);
        asked.length = 0;
        const e2 = await run("support-v2", v2);
        const runs = [];
        for await (const r of client.experiments.iterRuns(e2.experimentId)) {
          runs.push([r.sourceId, r.reusedFrom]);
        }
        return {
          v1: v1.versionId, v2: v2.versionId, summary: v2.summary, e1: e1.experimentId,
          ran: e2.ran, reused: e2.reused, asked, runs, text: e2.reuseSummary,
          sources: e2.reusedSources,
        };
        """,
        {"v1": SEED_V1, "v2": SEED_V2},
    )
    assert (out["v1"], out["v2"]) == (1, 2)
    assert out["summary"] == {
        "created": 1,
        "patched": 1,
        "deleted": 1,
        "unchanged": 0,
        "added": 1,
        "updated": 1,
    }
    assert (out["ran"], out["reused"], out["asked"]) == (1, 1, ["q3"])
    assert out["runs"] == [["q1", out["e1"]], ["q3", None]]
    assert out["text"] == f"reused 1 from experiment {out['e1']} 'support-v1'"
    assert out["sources"] == [{"experimentId": out["e1"], "name": "support-v1", "count": 1}]
    assert live.versions("support-benchmark") == [2, 1]
    first = live.node(
        "return await client.datasets.getDataset("
        "{ datasetName: 'support-benchmark' }, { versionId: 1 });"
    )
    assert first["versionId"] == 1 and first["total"] == 2


def test_ts_rename_and_delete_act_on_the_server(live: Live) -> None:
    first = live.upsert_ts("qa", rows(5))
    live.store.create_experiment("qa", first["versionId"], "x", "version:1", {})
    renamed = live.node('return await client.datasets.renameDataset("qa", "qa-old");')
    assert (renamed["id"], renamed["name"]) == (first["datasetId"], "qa-old")
    assert live.store.get_version("qa-old").id == first["versionId"]
    taken = live.node(
        'await client.datasets.upsertDataset({ dataset: { datasetName: "qa" }, examples: [] });'
        'return await client.datasets.renameDataset("qa", "qa-old");'
    )
    assert (taken["thrown"]["name"], taken["thrown"]["code"]) == ("ConflictError", "dataset_exists")
    in_use = live.node('return await client.datasets.deleteDataset("qa-old");')
    assert in_use["thrown"]["code"] == "dataset_in_use" and live.store.get_dataset("qa-old")
    deleted = live.node('return await client.datasets.deleteDataset("qa-old", { force: true });')
    assert deleted == {
        "id": first["datasetId"],
        "name": "qa-old",
        "versions": 1,
        "examples": 5,
        "experiments": 1,
    }
    assert [d.name for d in live.store.list_datasets().items] == ["qa"]
