// Issue 15, finding 6: restore-point id lookups are scoped by studio. A device of studio A probing
// an id that studio B committed gets exactly the answers it gets for an id nobody uses, except the
// final commit, which cannot take an id that is taken: there it gets the answer an id taken in its
// own studio gets ("pick another id"). B's restore point is untouched. Real server and Postgres.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { seedChunks, seededId } from "../bench/commit.ts";
import { enrolledPcs } from "../support/cli.ts";
import { authOf } from "../support/integrity.ts";
import { startServer, type TestServer } from "../support/server.ts";

describe("restore-point ids across studios", () => {
  let server: TestServer;
  let a: Record<string, string>;
  let a2: Record<string, string>;
  let b: Record<string, string>;

  const call = async (who: Record<string, string>, method: string, url: string, body?: Buffer | object) => {
    const res = await fetch(`${server.url}${url}`, {
      method,
      headers: { ...who, ...(body ? { "content-type": Buffer.isBuffer(body) ? "application/octet-stream" : "application/json" } : {}) },
      body: body === undefined ? undefined : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  };
  const page = (...ns: number[]) => Buffer.concat(ns.map(seededId));
  const commitBody = (root: number, refPages: number, refCount: number) => ({
    label: null,
    files: 1,
    bytes: 1,
    rootChunkId: seededId(root).toString("hex"),
    refPages,
    refCount,
  });

  before(async () => {
    server = await startServer({ role: "api" });
    const sa = await enrolledPcs(server, 2);
    const sb = await enrolledPcs(server, 1);
    a = await authOf(sa.pcs[0]!);
    a2 = await authOf(sa.pcs[1]!);
    b = await authOf(sb.pcs[0]!);
    // Both studios hold chunks 1..10 (the same ids: a chunk id is studio-keyed in real life, but
    // the server must not care).
    await seedChunks(server.databaseUrl, sa.studioId, 10);
    await seedChunks(server.databaseUrl, sb.studioId, 10);
  });
  after(async () => server?.stop());

  it("a device of studio A learns nothing about studio B's ids beyond 'pick another id'", async () => {
    const taken = randomUUID(); // committed by B
    assert.equal((await call(b, "PUT", `/v1/restore-points/${taken}/refs/0`, page(1, 2))).status, 204);
    const committed = await call(b, "POST", `/v1/restore-points/${taken}/commit`, commitBody(1, 1, 2));
    assert.equal(committed.status, 201);

    const fresh = randomUUID(); // nobody's
    const probe = async (id: string) => ({
      get: await call(a, "GET", `/v1/restore-points/${id}`),
      page0: await call(a, "PUT", `/v1/restore-points/${id}/refs/0`, page(3, 4)),
      incomplete: await call(a, "POST", `/v1/restore-points/${id}/commit`, commitBody(3, 2, 2)),
      clientReport: await call(a, "POST", `/v1/restore-points/${id}/client-verification`, { report: "{}", signature: "AAAA" }),
    });
    const onTaken = await probe(taken);
    const onFresh = await probe(fresh);
    assert.deepEqual(onTaken, onFresh, "every answer before the final commit is the same for B's id and an unused one");
    assert.equal(onTaken.page0.status, 204);
    assert.equal(onTaken.get.status, 404);

    // The final commit: the unused id is committed; B's id is refused exactly as an id that A's
    // own studio already holds under another manifest root.
    assert.equal((await call(a, "POST", `/v1/restore-points/${fresh}/commit`, commitBody(3, 1, 2))).status, 201);
    const onB = await call(a, "POST", `/v1/restore-points/${taken}/commit`, commitBody(3, 1, 2));
    const ownTaken = await call(a, "POST", `/v1/restore-points/${fresh}/commit`, commitBody(4, 1, 2));
    assert.equal(onB.status, 409);
    assert.deepEqual(onB, ownTaken);
    assert.equal((onB.body as { error: { code: string } }).error.code, "ALREADY_COMMITTED");
    assert.deepEqual(
      await call(a, "PUT", `/v1/restore-points/${fresh}/refs/0`, page(3, 4)),
      ownTaken,
      "pages of a taken id: the same answer",
    );

    // B's restore point is untouched, and B's retried commit is still idempotent.
    const seen = await call(b, "GET", `/v1/restore-points/${taken}`);
    assert.equal(seen.status, 200);
    assert.equal(seen.body!.rootChunkId, seededId(1).toString("hex"));
    assert.equal(seen.body!.refCount, 2);
    assert.equal((await call(b, "POST", `/v1/restore-points/${taken}/commit`, commitBody(1, 1, 2))).status, 200);

    const db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
    const pending = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "PendingRefPage" WHERE "restorePointId" = $1`, [taken]);
    await db.end();
    assert.equal(pending.rows[0]!.n, 0, "A's pages for the refused id are dropped");
  });

  it("a page in flight belongs to the device that sent it", async () => {
    const rp = randomUUID();
    assert.equal((await call(a, "PUT", `/v1/restore-points/${rp}/refs/0`, page(5, 6))).status, 204);
    const stolen = await call(a2, "PUT", `/v1/restore-points/${rp}/refs/0`, page(7));
    assert.equal(stolen.status, 409);
    assert.equal((stolen.body as { error: { code: string } }).error.code, "ALREADY_COMMITTED");
    assert.equal(
      (await call(a, "POST", `/v1/restore-points/${rp}/commit`, commitBody(5, 1, 2))).status,
      201,
      "the owner's commit is intact",
    );
  });
});
