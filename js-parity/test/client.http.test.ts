/** The HTTP layer and error mapping, with a scripted `fetch` in place of a server. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";

import {
  AuthError,
  ConflictError,
  DatasyncError,
  HashMismatchError,
  NotFoundError,
  TagError,
  TransportError,
  UsageError,
  ValidationError,
  createClient,
  errorFromWire,
} from "../src/index.js";
import { ndjsonGzip } from "../src/client/http.js";

const wire = (kind: string, code: string, details: Record<string, unknown> = {}) => ({
  error: { kind, code, message: `${code} happened`, details },
});

describe("errorFromWire", () => {
  const cases: [string, Function][] = [
    ["conflict", ConflictError],
    ["not_found", NotFoundError],
    ["auth", AuthError],
    ["validation", ValidationError],
    ["hash_mismatch", HashMismatchError],
    ["tag", TagError],
    ["usage", UsageError],
  ];
  for (const [kind, cls] of cases) {
    it(`rebuilds kind ${kind} as ${cls.name} with code, message, details and status`, () => {
      const err = errorFromWire(wire(kind, "some_code", { head_version_id: 3 }), 409);
      assert.ok(err instanceof cls && err instanceof DatasyncError);
      assert.deepEqual(
        [err.kind, err.code, err.message, err.details, err.status, err.name],
        [kind, "some_code", "some_code happened", { head_version_id: 3 }, 409, cls.name],
      );
    });
  }

  it("keeps the subclass tree: a hash mismatch is a ValidationError", () => {
    assert.ok(errorFromWire(wire("hash_mismatch", "hash_mismatch"), 422) instanceof ValidationError);
  });

  it("makes an unknown kind a plain DatasyncError and a foreign body a TransportError", () => {
    const unknown = errorFromWire(wire("brand_new", "x"), 400);
    assert.equal(unknown.constructor, DatasyncError);
    assert.equal(unknown.code, "x");
    const foreign = errorFromWire({ detail: "Not Found" }, 404);
    assert.ok(foreign instanceof TransportError);
    assert.equal(foreign.code, "not_datasync");
  });
});

type Script = (url: URL, init: RequestInit) => Response | Promise<Response>;

function scripted(...steps: Script[]): { fetch: typeof fetch; seen: { url: URL; init: RequestInit }[] } {
  const seen: { url: URL; init: RequestInit }[] = [];
  const fn = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    seen.push({ url, init });
    const step = steps[Math.min(seen.length - 1, steps.length - 1)] as Script;
    return step(url, init);
  };
  return { fetch: fn as typeof fetch, seen };
}

const json = (status: number, body: unknown) => () =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

describe("the HTTP client", () => {
  it("sends the bearer key and surfaces a server error as its class", async () => {
    const { fetch, seen } = scripted(json(404, wire("not_found", "dataset_not_found")));
    const client = createClient({ baseUrl: "http://127.0.0.1:9/", apiKey: "k", fetch, backoffMs: 1 });
    await assert.rejects(client.datasets.getDataset({ datasetName: "qa" }), (err: NotFoundError) => {
      assert.ok(err instanceof NotFoundError);
      assert.equal(err.code, "dataset_not_found");
      return true;
    });
    assert.equal(seen[0]?.url.href, "http://127.0.0.1:9/v1/datasets/qa");
    assert.equal((seen[0]?.init.headers as Record<string, string>)["Authorization"], "Bearer k");
  });

  it("retries a 5xx answer, then succeeds", async () => {
    const info = { id: 1, name: "qa", description: "", tags: {}, created_at: "t", head_version_id: null };
    const { fetch, seen } = scripted(json(503, {}), json(502, {}), json(200, info));
    const client = createClient({ baseUrl: "http://127.0.0.1:9", fetch, backoffMs: 1 });
    const ds = await client.datasets.getDataset({ datasetId: 1 });
    assert.equal(seen.length, 3);
    assert.deepEqual([ds.datasetId, ds.datasetName, ds.versionId, ds.total], [1, "qa", null, 0]);
  });

  it("gives up on an unreachable server with TransportError(unreachable) after its retries", async () => {
    const { fetch, seen } = scripted(() => {
      throw new TypeError("fetch failed");
    });
    const client = createClient({ baseUrl: "http://127.0.0.1:9", fetch, retries: 2, backoffMs: 1 });
    await assert.rejects(client.datasets.listDatasets(), { name: "TransportError", code: "unreachable" });
    assert.equal(seen.length, 3);
  });

  it("calls an HTML error page a TransportError, not a datasync error", async () => {
    const { fetch } = scripted(() => new Response("<h1>Bad gateway</h1>", { status: 404 }));
    const client = createClient({ baseUrl: "http://127.0.0.1:9", fetch });
    await assert.rejects(client.datasets.listDatasets(), { name: "TransportError", code: "not_datasync" });
  });

  it("refuses to start without a server URL", () => {
    const saved = process.env["DATASYNC_URL"];
    delete process.env["DATASYNC_URL"];
    try {
      assert.throws(() => createClient(), { name: "UsageError", code: "no_server" });
      assert.throws(() => createClient({ baseUrl: "127.0.0.1:8765" }), {
        name: "UsageError",
        code: "bad_server_url",
        message: /did you mean http:\/\/127\.0\.0\.1:8765/,
      });
      assert.throws(() => createClient({ baseUrl: "http://127.0.0.1:8765/v1" }), {
        name: "UsageError",
        code: "bad_server_url",
        message: /adds \/v1 itself/,
      });
      process.env["DATASYNC_URL"] = "http://127.0.0.1:1234/";
      assert.equal(createClient().baseUrl, "http://127.0.0.1:1234");
    } finally {
      if (saved === undefined) delete process.env["DATASYNC_URL"];
      else process.env["DATASYNC_URL"] = saved;
    }
  });

  it("refuses a DATASYNC_URL or DATASYNC_API_KEY that is set but empty, naming it", () => {
    const saved = { url: process.env["DATASYNC_URL"], key: process.env["DATASYNC_API_KEY"] };
    try {
      process.env["DATASYNC_URL"] = "";
      assert.throws(() => createClient(), (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.equal(err.code, "empty_env");
        assert.equal(err.details["variable"], "DATASYNC_URL");
        assert.match(err.message, /DATASYNC_URL is set but empty/);
        return true;
      });
      process.env["DATASYNC_URL"] = "http://127.0.0.1:1234";
      process.env["DATASYNC_API_KEY"] = " ";
      assert.throws(() => createClient(), { name: "UsageError", code: "empty_env", message: /DATASYNC_API_KEY/ });
      assert.equal(createClient({ apiKey: "k" }).baseUrl, "http://127.0.0.1:1234");
    } finally {
      for (const [name, value] of [["DATASYNC_URL", saved.url], ["DATASYNC_API_KEY", saved.key]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("refuses bad upsert options before sending anything", async () => {
    const { fetch, seen } = scripted(json(500, {}));
    const client = createClient({ baseUrl: "http://127.0.0.1:9", fetch });
    const examples = [{ id: "a", input: {} }];
    await assert.rejects(client.datasets.upsertDataset({ dataset: { datasetName: "1bad" }, examples }), {
      name: "ValidationError",
      code: "invalid_name",
    });
    await assert.rejects(client.datasets.upsertDataset({ dataset: { datasetName: "qa" }, examples, mode: "merge" as "mirror" }), {
      code: "invalid_mode",
    });
    await assert.rejects(
      client.datasets.upsertDataset({ dataset: { datasetName: "qa" }, examples: [...examples, ...examples] }),
      { name: "SourceError", code: "duplicate_source_id" },
    );
    assert.equal(seen.length, 0);
  });

  it("writes NDJSON bodies as gzip, one value per line", () => {
    const body = ndjsonGzip([{ mode: "mirror" }, { op: "delete", source_id: "é" }]);
    assert.equal(gunzipSync(body).toString("utf8"), '{"mode":"mirror"}\n{"op":"delete","source_id":"é"}\n');
  });
});
