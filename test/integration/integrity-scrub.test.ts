// The scrub re-reads stored blobs on its own, least recently verified first, and everything that
// would outlive the period; it finds bit rot no backup touches. Also GET /metrics behind
// METRICS_TOKEN. Here a scrub run every 1.2 s and a period of 86 s stand in for 1 h and 30 days.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type pg from "pg";
import { newStudio, Pc } from "../support/cli.ts";
import { authOf, blobStoreOf, damage, healthById, settled, sql, waitFor } from "../support/integrity.ts";
import { startServer, type TestServer } from "../support/server.ts";

const METRICS_TOKEN = "metrics-token-for-tests";

describe("scrub and metrics", () => {
  let server: TestServer;
  let auth: Record<string, string>;
  let db: pg.Client;
  let rp: string;

  const verifiedAt = async () =>
    new Map(
      (await db.query<{ id: string; v: Date }>(`SELECT encode(id, 'hex') AS id, "verifiedAt" AS v FROM "Chunk"`)).rows.map((r) => [
        r.id,
        r.v.getTime(),
      ]),
    );

  before(async () => {
    server = await startServer({
      env: {
        REDIS_PREFIX: `t-${randomBytes(4).toString("hex")}`,
        SWEEP_INTERVAL_SECONDS: "0.3",
        SCRUB_INTERVAL_MINUTES: "0.02",
        SCRUB_PERIOD_DAYS: "0.001",
        METRICS_TOKEN,
      },
    });
    const studio = await newStudio(server);
    const pc = await Pc.create(server);
    assert.equal((await pc.run(["enroll", "--token", await studio.token()])).code, 0);
    auth = await authOf(pc);
    db = await sql(server);
    const src = path.join(server.dir, "src");
    await mkdir(src);
    for (let i = 0; i < 6; i++) await writeFile(path.join(src, `f${i}.bin`), randomBytes(20_000));
    const b = await pc.run(["backup", src]);
    assert.equal(b.code, 0, b.stderr);
    rp = String(b.json.restorePointId);
    assert.equal((await settled(server, auth)).get(rp)!.health, "verified");
  });
  after(async () => {
    await db?.end();
    await server?.stop();
  });

  it("re-reads the least recently verified blobs first, a share per run", async () => {
    // Stagger the last reads 10..17 s ago: none is due (period 86 s), so only the share is read.
    await db.query(`UPDATE "Chunk" c SET "verifiedAt" = now() - make_interval(secs => 10 + o.rank) FROM (
      SELECT id, row_number() OVER (ORDER BY id) AS rank FROM "Chunk") o WHERE c.id = o.id`);
    const before = await verifiedAt();
    const oldest = [...before.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id);
    const after = await waitFor(
      "two chunks re-read",
      async () => {
        const now = await verifiedAt();
        return [...now].filter(([id, t]) => t > before.get(id)!).length >= 2 ? now : null;
      },
      20_000,
    );
    const reread = oldest.filter((id) => after.get(id)! > before.get(id)!);
    assert.ok(reread.length < oldest.length, "a run reads a share, not everything");
    assert.deepEqual(reread, oldest.slice(0, reread.length), "oldest first");
  });

  it("reads everything that is overdue and finds a flipped byte nobody asked about", async () => {
    const [victim] = (
      await db.query<{ id: string; objectKey: string; offset: number | null; size: number }>(
        `SELECT encode(id, 'hex') AS id, "objectKey", "offset", size FROM "Chunk" ORDER BY id LIMIT 1`,
      )
    ).rows;
    await damage(blobStoreOf(server), victim!, "flip");
    const t0 = Date.now();
    await db.query(`UPDATE "Chunk" SET "verifiedAt" = now() - interval '1 day'`);
    // A damaged chunk keeps its last good verification time; every other one is re-read.
    await waitFor(
      "every overdue chunk re-read",
      async () => [...(await verifiedAt())].every(([id, t]) => id === victim!.id || t >= t0 - 1000),
      20_000,
    );
    await waitFor("the point damaged", async () => (await healthById(server, auth)).get(rp)!.health === "damaged");
    const row = await db.query<{ state: string; problem: string }>(`SELECT state, problem FROM "Chunk" WHERE id = decode($1, 'hex')`, [
      victim!.id,
    ]);
    assert.deepEqual(row.rows[0], { state: "damaged", problem: "checksum" });
  });

  it("serves Prometheus metrics only with the token", async () => {
    assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer wrong-token-wrong-token" } })).status, 401);
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(res.status, 200);
    const text = await res.text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
    assert.ok(value("datasafe_integrity_bytes_verified_total") > 120_000, "bytes re-read by the checks");
    assert.ok(Number(/^datasafe_jobs_processed_total\{name="verify"\} (\S+)$/m.exec(text)?.[1]) >= 1);
    assert.ok(Number(/^datasafe_integrity_damaged_chunks_found_total\{source="server"\} (\S+)$/m.exec(text)?.[1]) >= 1);
    assert.match(text, /^datasafe_queue_jobs\{queue="integrity",state="waiting"\} \d+$/m);
  });
});
