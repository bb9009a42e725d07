// The data-path rules of the API, driven over HTTP: checksummed chunk ingest (each chunk here a
// relayed pack of one, PUT /v1/packs: the only upload path), bounded sizes, commits that succeed
// only when every referenced chunk is stored, retried commits.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { newStudio, Pc } from "../support/cli.ts";
import { startServer, type TestServer } from "../support/server.ts";

describe("chunk ingest and commit", () => {
  let server: TestServer;
  let auth: Record<string, string>;

  const session = randomUUID();
  /** Uploads one chunk as a relayed pack of one: the HTTP status and the chunk's `stored`. */
  const put = async (
    id: string,
    body: Buffer,
    sha = createHash("sha256").update(body).digest("hex"),
    type = "application/octet-stream",
  ) => {
    const head = Buffer.from(JSON.stringify({ sessionId: session, chunks: [{ id, size: body.length, sha256: sha }] }));
    const res = await fetch(`${server.url}/v1/packs`, {
      method: "PUT",
      headers: { ...auth, "content-type": type, "x-pack-table-length": String(head.length) },
      body: new Uint8Array(Buffer.concat([head, body])),
    });
    const json = (await res.json()) as { results?: Array<{ stored?: boolean }> };
    return { status: res.status, stored: json.results?.[0]?.stored };
  };
  const post = (url: string, body: unknown) =>
    fetch(`${server.url}${url}`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body) });
  const refs = (rp: string, page: number, ids: string[]) =>
    fetch(`${server.url}/v1/restore-points/${rp}/refs/${page}`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/octet-stream" },
      body: new Uint8Array(Buffer.concat(ids.map((i) => Buffer.from(i, "hex")))),
    });
  const id = () => randomBytes(32).toString("hex");

  before(async () => {
    server = await startServer();
    const studio = await newStudio(server);
    const pc = await Pc.create(server);
    assert.equal((await pc.run(["enroll", "--token", await studio.token()])).code, 0);
    auth = await pc.auth();
  });
  after(async () => server?.stop());

  it("answers liveness and readiness", async () => {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual((await ready.json()) as unknown, { status: "ready", checks: { postgres: "ok", redis: "ok", blobStore: "ok" } });
  });

  it("stores a chunk once, checks its checksum and size, and reports what is missing", async () => {
    const a = id();
    const body = randomBytes(5000);
    assert.equal((await put(a, body, "0".repeat(64))).status, 422, "checksum mismatch is refused");
    assert.deepEqual(await put(a, body), { status: 200, stored: true });
    assert.deepEqual(await put(a, body), { status: 200, stored: false }, "the studio holds it already");
    const got = Buffer.from(await (await fetch(`${server.url}/v1/chunks/${a}`, { headers: auth })).arrayBuffer());
    assert.ok(got.equals(body));
    const b = id();
    const missing = (await (await post("/v1/chunks/missing", { ids: [a, b], sessionId: session })).json()) as { missing: string[] };
    assert.deepEqual(missing.missing, [b]);
    assert.equal((await put(id(), randomBytes(4 * 1024 * 1024 + 2048))).status, 400, "oversized chunks are refused");
    assert.equal(
      (await put(id(), randomBytes(100), undefined, "multipart/form-data; boundary=x")).status,
      400,
      "the body must be the pack itself",
    );
    assert.equal((await put(id(), Buffer.alloc(0))).status, 400, "empty chunks are refused");
    const streamed = await fetch(`${server.url}/v1/packs`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/octet-stream", "x-pack-table-length": "2" },
      body: new Blob([new Uint8Array(100)]).stream(),
      duplex: "half",
    } as RequestInit);
    assert.equal(streamed.status, 411, "a body without Content-Length is refused unread");
    assert.equal((await post("/v1/chunks/missing", { ids: ["xyz"], sessionId: session })).status, 400);
    assert.equal(
      (await post("/v1/chunks/missing", { ids: [a], sessionId: "not-a-uuid" })).status,
      400,
      "the session is a restore point id",
    );
    assert.equal((await post("/v1/chunks/missing", { ids: Array.from({ length: 1001 }, id), sessionId: session })).status, 400);
    assert.equal((await post("/v1/chunks/missing", { ids: [a] })).status, 400, "every dedup query names its upload session");
    for (const [method, url] of [
      ["PUT", `/v1/chunks/${a}`],
      ["POST", `/v1/chunks/${a}/upload-url`],
      ["POST", "/v1/chunks/uploaded"],
    ] as const) {
      const res = await fetch(`${server.url}${url}`, {
        method,
        headers: { ...auth, "content-type": "application/octet-stream" },
        body: new Uint8Array(body),
      });
      assert.equal(res.status, 404, `the single-chunk upload path is gone: ${method} ${url}`);
    }
  });

  it("commits only when every referenced chunk is stored, and a retried commit is idempotent", async () => {
    const stored = [id(), id()];
    for (const s of stored) assert.deepEqual(await put(s, randomBytes(100)), { status: 200, stored: true });
    const absent = id();
    const rp = randomUUID();
    const all = [...stored, absent].sort();
    assert.equal((await refs(rp, 0, all)).status, 204);
    const commit = { label: "t", files: 1, bytes: 100, rootChunkId: stored[0], refPages: 1, refCount: 3 };
    const refused = await post(`/v1/restore-points/${rp}/commit`, commit);
    assert.equal(refused.status, 409);
    const err = ((await refused.json()) as { error: { code: string; missing: string[] } }).error;
    assert.equal(err.code, "CHUNKS_MISSING");
    assert.deepEqual(err.missing, [absent]);
    assert.equal((await fetch(`${server.url}/v1/restore-points/${rp}`, { headers: auth })).status, 404, "nothing half-written is visible");

    assert.deepEqual(await put(absent, randomBytes(100)), { status: 200, stored: true });
    const ok = await post(`/v1/restore-points/${rp}/commit`, commit);
    assert.equal(ok.status, 201);
    const again = await post(`/v1/restore-points/${rp}/commit`, commit);
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { id: string }).id, rp);
  });

  it("answers 410, not a retryable 5xx, when a chunk's stored object is gone", async () => {
    const gone = id();
    assert.deepEqual(await put(gone, randomBytes(100)), { status: 200, stored: true });
    const db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
    const row = await db.query<{ objectKey: string }>(`SELECT "objectKey" FROM "Chunk" WHERE id = decode($1, 'hex')`, [gone]);
    await db.end();
    await rm(path.join(server.env.DATA_DIR!, "blobs", row.rows[0]!.objectKey));
    const res = await fetch(`${server.url}/v1/chunks/${gone}`, { headers: auth });
    assert.equal(res.status, 410);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "BLOB_MISSING");
  });

  it("validates reference pages", async () => {
    const rp = randomUUID();
    const s = [id(), id()].sort();
    for (const x of s) await put(x, randomBytes(10));
    assert.equal(
      (
        await fetch(`${server.url}/v1/restore-points/${rp}/refs/0`, {
          method: "PUT",
          headers: { ...auth, "content-type": "application/octet-stream" },
          body: new Uint8Array(33),
        })
      ).status,
      400,
    );
    await refs(rp, 0, [...s].reverse());
    const unsorted = await post(`/v1/restore-points/${rp}/commit`, {
      label: null,
      files: 0,
      bytes: 0,
      rootChunkId: s[0],
      refPages: 1,
      refCount: 2,
    });
    assert.equal(unsorted.status, 400);
    const incomplete = await post(`/v1/restore-points/${rp}/commit`, {
      label: null,
      files: 0,
      bytes: 0,
      rootChunkId: s[0],
      refPages: 2,
      refCount: 2,
    });
    assert.equal(incomplete.status, 409);
  });
});
