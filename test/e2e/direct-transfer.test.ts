// Direct transfer against a real S3 server (Ceph RGW): presigned URLs are capabilities for one
// pack object, with the size, SHA-256 and no-overwrite rule signed in; the API accepts reports only
// of keys it granted to the calling device, with the granted table; the verify job catches a
// client that lies about a chunk's SHA-256; and when the bucket cannot be reached from the PC,
// backup and restore fall back to the API relay.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { enrolledPcs, type Pc } from "../support/cli.ts";
import { authOf, blobStoreOf, healthById, settled, sql, waitFor } from "../support/integrity.ts";
import { s3SkipReason } from "../support/s3.ts";
import { startServer, type TestServer } from "../support/server.ts";
import { describeTree, makeStudioTree } from "../support/tree.ts";
import { packTableSha256 } from "../../protocol/pack-table.ts";

const skip = s3SkipReason();

type Grant = { mode: string; key?: string; url?: string; headers?: Record<string, string> };
type Result = { id: string; stored?: boolean; size?: number; status?: number; error?: { code: string } };

describe("direct transfer to the bucket", { skip }, () => {
  let server: TestServer;
  let pc: Pc;
  let auth: Record<string, string>;
  let otherAuth: Record<string, string>;
  const session = randomUUID();

  const post = async (a: Record<string, string>, url: string, body: unknown) => {
    const res = await fetch(`${server.url}${url}`, {
      method: "POST",
      headers: { ...a, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
  /** A pack of one chunk `id` whose bytes are `body`; `tableSha` lets a test lie about them. */
  const tableOf = (id: string, body: Buffer, tableSha = sha(body)) => [{ id, size: body.length, sha256: tableSha }];
  const grant = async (a: Record<string, string>, id: string, body: Buffer, tableSha?: string) =>
    (
      await post(a, "/v1/packs/upload-url", {
        size: body.length,
        sha256: sha(body),
        tableSha256: packTableSha256(tableOf(id, body, tableSha)).toString("hex"),
        sessionId: session,
      })
    ).body as Grant;
  /** Reports the pack: the HTTP status, and the chunk's own result when the report was taken. */
  const report = async (a: Record<string, string>, id: string, key: string | undefined, body: Buffer, tableSha?: string) => {
    const res = await post(a, "/v1/packs/uploaded", { key, sha256: sha(body), chunks: tableOf(id, body, tableSha) });
    return {
      status: res.status,
      result: (res.body.results as Result[] | undefined)?.[0],
      code: (res.body.error as { code: string } | undefined)?.code,
    };
  };
  const putTo = async (g: Grant, body: Buffer, headers = g.headers) =>
    (await fetch(g.url!, { method: "PUT", headers, body: new Uint8Array(body) })).status;

  before(async () => {
    // Its own queue prefix: servers of other test files share this Redis, and their workers would
    // take this server's verify jobs (for restore points their databases do not have).
    server = await startServer({ s3: true, env: { REDIS_PREFIX: `t-${randomBytes(4).toString("hex")}`, SWEEP_INTERVAL_SECONDS: "0.5" } });
    const studio = await enrolledPcs(server, 1);
    pc = studio.pcs[0]!;
    auth = await authOf(pc);
    otherAuth = await authOf((await enrolledPcs(server, 1)).pcs[0]!);
  });
  after(async () => server?.stop());

  it("signs exactly one object of the declared size and SHA-256, which can never be overwritten", async () => {
    const id = randomBytes(32).toString("hex");
    const body = randomBytes(10_000);
    const g = await grant(auth, id, body);
    assert.equal(g.mode, "direct");
    assert.ok(g.url && !g.url.includes("testsecret"), "no credentials in the URL");
    assert.notEqual(await putTo(g, randomBytes(20_000), { ...g.headers, "content-length": "20000" }), 200, "a larger body is refused");
    assert.equal(await putTo(g, randomBytes(10_000)), 400, "other bytes of the same size are refused (XAmzContentSHA256Mismatch)");
    assert.equal(await putTo(g, body), 200);
    assert.equal(await putTo(g, body), 412, "the object cannot be overwritten, not even with the same bytes");

    const bySomeoneElse = await report(otherAuth, id, g.key, body);
    assert.equal(bySomeoneElse.status, 403, "another studio cannot claim this studio's object");
    assert.deepEqual(await report(auth, id, g.key, body), {
      status: 200,
      result: { id, stored: true, size: body.length },
      code: undefined,
    });
    assert.deepEqual(
      await report(auth, id, g.key, body),
      { status: 200, result: { id, stored: true, size: body.length }, code: undefined },
      "a retried report of the same upload is idempotent",
    );
    // A second upload of a chunk the studio holds (another device raced us): recorded as surplus.
    const again = await grant(auth, id, body);
    assert.equal(again.mode, "direct");
    assert.notEqual(again.key, g.key, "every grant is a fresh key");
    assert.equal(await putTo(again, body), 200);
    assert.deepEqual((await report(auth, id, again.key, body)).result, { id, stored: false, size: body.length });
    assert.ok(await blobStoreOf(server).stat(again.key!), "the surplus pack is kept for garbage collection, not deleted by the request");

    const urls = await post(auth, "/v1/chunks/download-urls", { ids: [id, randomBytes(32).toString("hex")], ranges: true });
    assert.deepEqual(Object.keys(urls.body.urls as object), [id], "URLs only for chunks the studio holds");
    const got = Buffer.from(await (await fetch((urls.body.urls as Record<string, string>)[id]!)).arrayBuffer());
    assert.ok(got.equals(body));
    const foreign = await post(otherAuth, "/v1/chunks/download-urls", { ids: [id], ranges: true });
    assert.deepEqual(foreign.body.urls, {}, "no URL for another studio's chunk");
  });

  it("refuses reports of keys it did not grant or that hold nothing, and bad requests", async () => {
    const id = randomBytes(32).toString("hex");
    const body = randomBytes(1000);
    const g = await grant(auth, id, body);
    const notUploaded = await report(auth, id, g.key, body);
    assert.equal(notUploaded.status, 409);
    assert.equal(notUploaded.code, "UPLOAD_NOT_FOUND");
    const otherId = randomBytes(32).toString("hex");
    assert.equal((await report(auth, otherId, g.key, body)).status, 422, "a table other than the granted one");
    assert.equal((await report(auth, id, "studios/../x", body)).status, 403);
    const good = { size: body.length, sha256: sha(body), tableSha256: sha(body), sessionId: session };
    assert.equal((await post(auth, "/v1/packs/upload-url", { ...good, size: 9 * 1024 * 1024 })).status, 400, "larger than a pack");
    assert.equal((await post(auth, "/v1/packs/upload-url", { ...good, sha256: "zz" })).status, 400);
    assert.equal(
      (await post(auth, "/v1/packs/upload-url", { ...good, sessionId: undefined })).status,
      400,
      "a grant names its upload session",
    );
    assert.equal(
      (await post(auth, "/v1/packs/upload-url", { ...good, tableSha256: undefined })).status,
      400,
      "a grant names its table's hash",
    );
    assert.equal((await post(auth, "/v1/chunks/download-urls", { ids: Array.from({ length: 257 }, () => id) })).status, 400);
    const anonymous = await fetch(`${server.url}/v1/packs/upload-url`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(anonymous.status, 401);
  });

  it("marks the chunk and its restore point damaged when the table's SHA-256 was not the chunk's", async () => {
    // A lying (or buggy) client: uploads a pack and describes its one chunk with another SHA-256
    // (in the table it was granted for), then commits a restore point referencing it. The verify
    // job re-reads every unverified chunk it references.
    const id = randomBytes(32).toString("hex");
    const body = randomBytes(3000);
    const g = await grant(auth, id, body, "0".repeat(64));
    assert.equal(await putTo(g, body), 200);
    assert.equal((await report(auth, id, g.key, body, "0".repeat(64))).result?.stored, true);
    const rp = randomUUID();
    const refs = await fetch(`${server.url}/v1/restore-points/${rp}/refs/0`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/octet-stream" },
      body: new Uint8Array(Buffer.from(id, "hex")),
    });
    assert.equal(refs.status, 204);
    const commit = await post(auth, `/v1/restore-points/${rp}/commit`, {
      label: "liar",
      files: 1,
      bytes: 3000,
      rootChunkId: id,
      refPages: 1,
      refCount: 1,
    });
    assert.equal(commit.status, 201);
    const health = await settled(server, auth);
    assert.equal(health.get(rp)?.health, "damaged");
    const db = await sql(server);
    try {
      const row = await db.query<{ state: string; problem: string }>(`SELECT state, problem FROM "Chunk" WHERE id = decode($1, 'hex')`, [
        id,
      ]);
      assert.deepEqual(row.rows[0], { state: "damaged", problem: "checksum" });
    } finally {
      await db.end();
    }
    // The next upload of the chunk replaces the damaged object, and the restore point is verified
    // again by the server, but stays flagged: no studio PC has confirmed the repair.
    const repair = await grant(auth, id, body);
    assert.equal(await putTo(repair, body), 200);
    assert.deepEqual((await report(auth, id, repair.key, body)).result, { id, stored: true, size: body.length });
    await waitFor(
      "the repaired restore point to be verified again",
      async () => (await healthById(server, auth)).get(rp)?.health === "verified",
    );
    assert.ok((await healthById(server, auth)).get(rp)?.repairUnconfirmedSince, "repaired, not yet verified by a studio PC");
  });

  it("falls back to the API when the bucket cannot be reached from the PC", async () => {
    await server.restart({ S3_PUBLIC_ENDPOINT: "http://127.0.0.1:9" });
    const src = path.join(server.dir, "fallback-tree");
    await makeStudioTree(src, { photos: 2, dbBytes: 300_000 });
    const b = await pc.run(["backup", src]);
    assert.equal(b.code, 0, b.stderr);
    assert.ok(Number(b.json.chunksUploaded) > 0);
    assert.equal(b.json.chunksSentDirect, 0);
    const to = path.join(server.dir, "fallback-restored");
    const r = await pc.run(["restore", String(b.json.restorePointId), "--to", to]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.chunksDirect, 0);
    assert.ok(Number(r.json.chunksRelayed) > 0);
    assert.deepEqual(await describeTree(path.join(to, path.basename(src))), await describeTree(src));
  });
});
