// Metadata at scale: a restore point referencing 200,000 chunks (a ~200 GB tree) commits through
// bounded reference pages, with one row per chunk and one per restore point in Postgres.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { ApiClient } from "../../uploader/api/client.ts";
import { MAX_REFS_PER_PAGE } from "../../protocol/limits.ts";
import { enrolledPcs } from "../support/cli.ts";
import { startServer, type TestServer } from "../support/server.ts";

const REFS = 200_000;

describe("metadata at scale", () => {
  let server: TestServer;
  let api: ApiClient;
  let studioId: string;

  before(async () => {
    // API only: the seeded chunks have no objects, and verifying them is not what this test is about.
    server = await startServer({ role: "api" });
    const enrolled = await enrolledPcs(server, 1);
    studioId = enrolled.studioId;
    const pc = enrolled.pcs[0]!;
    const state = await pc.state();
    api = new ApiClient(state.server, state.accessToken);
  });
  after(async () => server?.stop());

  it(`commits a restore point with ${REFS} chunk references in bounded pages`, async () => {
    const db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
    // 200,000 stored chunks: ids are 32 bytes derived from the row number.
    await db.query(
      `INSERT INTO "Chunk" ("studioId", id, size, sha256, "objectKey")
       SELECT $1::uuid, decode(md5(i::text) || md5((i + 1)::text), 'hex'), 1048576, decode(md5(i::text) || md5(i::text), 'hex'), 'seeded/' || i
       FROM generate_series(1, $2::int) AS i`,
      [studioId, REFS],
    );
    const rows = await db.query<{ id: Buffer }>(`SELECT id FROM "Chunk" WHERE "studioId" = $1 ORDER BY id`, [studioId]);
    const ids = rows.rows.map((r) => r.id.toString("hex"));
    assert.equal(ids.length, REFS);

    const missing = await api.missing(ids.slice(0, 1000), randomUUID());
    assert.deepEqual(missing, []);

    const rp = randomUUID();
    const started = Date.now();
    let pages = 0;
    for (let i = 0; i < ids.length; i += MAX_REFS_PER_PAGE) {
      const page = Buffer.concat(ids.slice(i, i + MAX_REFS_PER_PAGE).map((h) => Buffer.from(h, "hex")));
      assert.ok(page.length <= 512 * 1024, "each request stays small");
      await api.putRefPage(rp, pages++, page);
    }
    const view = await api.commit(rp, {
      label: "200k",
      files: 1,
      bytes: REFS * 1048576,
      rootChunkId: ids[0]!,
      refPages: pages,
      refCount: REFS,
      skipped: 0,
    });
    const ms = Date.now() - started;
    assert.equal(view.refCount, REFS);
    console.log(`# committed ${REFS} references in ${pages} pages in ${ms} ms`);

    const counts = await db.query<{ points: string; pending: string; bytes: string }>(
      `SELECT (SELECT count(*) FROM "RestorePoint" WHERE "studioId" = $1) AS points,
              (SELECT count(*) FROM "PendingRefPage" WHERE "studioId" = $1) AS pending,
              (SELECT octet_length(refs) FROM "RestorePoint" WHERE id = $2) AS bytes`,
      [studioId, rp],
    );
    assert.deepEqual(counts.rows[0], { points: "1", pending: "0", bytes: REFS * 32 });
    await db.end();
  });
});
