// Issue 15, finding 3: reference pages of restore points never committed expire. The worker's
// sweeper adds the expiry job (nothing else does), which deletes pages sent more than
// PENDING_REF_PAGES_TTL_DAYS (default 7) ago and keeps the others. Real server (API + worker),
// Postgres and Redis.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { seededId } from "../bench/commit.ts";
import { enrolledPcs } from "../support/cli.ts";
import { authOf, waitFor } from "../support/integrity.ts";
import { startServer, type TestServer } from "../support/server.ts";

describe("abandoned reference pages", () => {
  let server: TestServer;
  let auth: Record<string, string>;
  let db: pg.Client;

  const putPage = (rp: string, page: number) =>
    fetch(`${server.url}/v1/restore-points/${rp}/refs/${page}`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/octet-stream" },
      body: new Uint8Array(seededId(page + 1)),
    });
  const pendingOf = async (rp: string) =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "PendingRefPage" WHERE "restorePointId" = $1`, [rp])).rows[0]!.n;

  before(async () => {
    server = await startServer({ env: { SWEEP_INTERVAL_SECONDS: "0.5" } });
    auth = await authOf((await enrolledPcs(server, 1)).pcs[0]!);
    db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await server?.stop();
  });

  it("deletes pages older than the default 7 days and keeps younger ones", async () => {
    const abandoned = randomUUID();
    const recent = randomUUID();
    for (const rp of [abandoned, recent]) for (let p = 0; p < 3; p++) assert.equal((await putPage(rp, p)).status, 204);
    await db.query(`UPDATE "PendingRefPage" SET "createdAt" = "createdAt" - interval '7 days 1 minute' WHERE "restorePointId" = $1`, [
      abandoned,
    ]);
    await db.query(`UPDATE "PendingRefPage" SET "createdAt" = "createdAt" - interval '6 days 23 hours' WHERE "restorePointId" = $1`, [
      recent,
    ]);

    await waitFor("the abandoned pages to expire", async () => (await pendingOf(abandoned)) === 0, 30_000);
    assert.equal(await pendingOf(recent), 3, "pages younger than the limit are kept");

    const commit = await fetch(`${server.url}/v1/restore-points/${abandoned}/commit`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ label: null, files: 1, bytes: 1, rootChunkId: seededId(1).toString("hex"), refPages: 3, refCount: 3 }),
    });
    assert.equal(commit.status, 409);
    assert.equal(((await commit.json()) as { error: { code: string } }).error.code, "REFS_INCOMPLETE");
  });
});
