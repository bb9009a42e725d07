// Issue 15, finding 3: a commit's work and memory are bounded, and so are the reference pages a
// device may leave pending. Real server (API only: the seeded chunks have no objects to verify),
// real Postgres. Chunks are seeded straight into Postgres (test/bench/commit.ts).
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { MAX_PENDING_REF_PAGES_PER_DEVICE, MAX_REF_PAGES } from "../../protocol/limits.ts";
import { measureCommit, seedChunks, seededId, seededPage } from "../bench/commit.ts";
import { enrolledPcs } from "../support/cli.ts";
import { authOf } from "../support/integrity.ts";
import { startServer, type TestServer } from "../support/server.ts";

/** 16 full pages: 262,144 ids. Before the fix the API grew by ~200 MB on such a commit (1.2 GB at 100 pages). */
const PAGES = 16;
const MEMORY_BOUND_MB = 64;

describe("commit bounds", () => {
  let server: TestServer;
  let auth: Record<string, string>;
  let other: Record<string, string>;
  let studioId: string;

  const putPage = (a: Record<string, string>, rp: string, page: number, body: Buffer) =>
    fetch(`${server.url}/v1/restore-points/${rp}/refs/${page}`, {
      method: "PUT",
      headers: { ...a, "content-type": "application/octet-stream" },
      body: new Uint8Array(body),
    });
  const commit = (rp: string, body: Record<string, unknown>) =>
    fetch(`${server.url}/v1/restore-points/${rp}/commit`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const summary = { label: null, files: 1, bytes: 1 };
  const errorOf = async (res: Response) =>
    ((await res.json()) as { error: { code: string; message: string; missing?: string[]; missingCount?: number } }).error;

  before(async () => {
    server = await startServer({ role: "api" });
    const enrolled = await enrolledPcs(server, 2);
    studioId = enrolled.studioId;
    auth = await authOf(enrolled.pcs[0]!);
    other = await authOf(enrolled.pcs[1]!);
    await seedChunks(server.databaseUrl, studioId, PAGES * 16384);
  });
  after(async () => server?.stop());

  it(`commits ${PAGES} full pages with the API's memory bounded, and stores exactly their ids in order`, async () => {
    const m = await measureCommit(server, auth, PAGES);
    console.log(`# commit of ${m.refs} refs in ${PAGES} pages: ${m.commitMs} ms, API peak RSS +${m.peakGrowthMB} MB`);
    assert.equal(m.status, 201);
    assert.ok(m.peakGrowthMB < MEMORY_BOUND_MB, `the API grew by ${m.peakGrowthMB} MB during the commit (bound ${MEMORY_BOUND_MB} MB)`);

    const expected = createHash("sha256");
    for (let p = 0; p < PAGES; p++) expected.update(seededPage(p));
    const db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
    const row = await db.query<{ digest: string; length: number; refCount: number; pending: number }>(
      `SELECT encode(sha256(refs), 'hex') AS digest, octet_length(refs) AS length, "refCount",
              (SELECT count(*)::int FROM "PendingRefPage" WHERE "restorePointId" = $1) AS pending
       FROM "RestorePoint" WHERE id = $1`,
      [m.restorePointId],
    );
    await db.end();
    assert.deepEqual(row.rows[0], { digest: expected.digest("hex"), length: PAGES * 16384 * 32, refCount: PAGES * 16384, pending: 0 });
  });

  it("checks order across page boundaries and lists the first 1000 missing chunks of all pages", async () => {
    const ids = (from: number, n: number) => Buffer.concat(Array.from({ length: n }, (_, i) => seededId(from + i)));
    const overlap = randomUUID();
    assert.equal((await putPage(auth, overlap, 0, ids(1, 10))).status, 204);
    assert.equal((await putPage(auth, overlap, 1, ids(10, 10))).status, 204); // repeats id 10 of page 0
    const unsorted = await commit(overlap, { ...summary, rootChunkId: seededId(1).toString("hex"), refPages: 2, refCount: 20 });
    assert.equal(unsorted.status, 400);

    // Ids beyond the seeded ones are not stored: 1500 on each of two pages.
    const base = PAGES * 16384 + 1;
    const missing = randomUUID();
    assert.equal((await putPage(auth, missing, 0, Buffer.concat([seededId(1), ids(base, 1500)]))).status, 204);
    assert.equal((await putPage(auth, missing, 1, ids(base + 1500, 1500))).status, 204);
    const refused = await commit(missing, { ...summary, rootChunkId: seededId(1).toString("hex"), refPages: 2, refCount: 3001 });
    assert.equal(refused.status, 409);
    const err = await errorOf(refused);
    assert.equal(err.code, "CHUNKS_MISSING");
    assert.equal(err.missingCount, 3000);
    assert.deepEqual(
      err.missing,
      Array.from({ length: 1000 }, (_, i) => seededId(base + i).toString("hex")),
    );

    const incomplete = await commit(missing, { ...summary, rootChunkId: seededId(1).toString("hex"), refPages: 3, refCount: 3001 });
    assert.equal((await errorOf(incomplete)).code, "REFS_INCOMPLETE");
    const tooMany = await commit(missing, {
      ...summary,
      rootChunkId: seededId(1).toString("hex"),
      refPages: MAX_REF_PAGES + 1,
      refCount: 3001,
    });
    assert.equal(tooMany.status, 400);
  });

  it(`refuses a device's reference pages beyond ${MAX_PENDING_REF_PAGES_PER_DEVICE} pending, until it commits`, async () => {
    // Pages of one id each: page p of each restore point holds chunk p + 1 (sorted across pages).
    const held = [randomUUID(), randomUUID()];
    const perPoint = MAX_PENDING_REF_PAGES_PER_DEVICE / 2;
    assert.ok(perPoint <= MAX_REF_PAGES);
    // Earlier tests of this file left pages pending for this device: start from a clean slate.
    const db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
    await db.query(`DELETE FROM "PendingRefPage"`);
    await db.end();
    for (const rp of held) {
      for (let p = 0; p < perPoint; p++) assert.equal((await putPage(auth, rp, p, seededId(p + 1))).status, 204);
    }
    const refused = await putPage(auth, randomUUID(), 0, seededId(1));
    assert.equal(refused.status, 409);
    const err = await errorOf(refused);
    assert.equal(err.code, "TOO_MANY_PENDING_REF_PAGES");
    assert.match(err.message, new RegExp(`${MAX_PENDING_REF_PAGES_PER_DEVICE} reference pages`));

    assert.equal((await putPage(auth, held[1]!, 5, seededId(6))).status, 204, "re-sending a held page is not a new one");
    assert.equal((await putPage(other, randomUUID(), 0, seededId(1))).status, 204, "the limit is per device");

    const done = await commit(held[0]!, { ...summary, rootChunkId: seededId(1).toString("hex"), refPages: perPoint, refCount: perPoint });
    assert.equal(done.status, 201);
    assert.equal((await putPage(auth, randomUUID(), 0, seededId(1))).status, 204, "a commit frees its pages");
  });
});
