// Metadata written straight into the bench server's database with SQL: studios and devices for
// the many-uploader ingest run, and a year of restore points for the support lookup. Going
// through the API would take hours at 3.65 M restore points; what is measured afterwards (the
// API's own queries) does not care how the rows arrived. Ids are md5-derived UUIDs, so a
// studio's id is a function of (tag, number).
import pg from "pg";
import type { Ctx } from "../../server/context.ts";
import { issueDeviceToken } from "../../server/services/device-auth.ts";

export interface SeededDevice {
  studioId: string;
  deviceId: string;
}

const uuidSql = (tag: string, expr: string) => `md5('${tag}:' || ${expr})::uuid`;

async function withClient<T>(databaseUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** `n` studios with one device each (ids derived from `tag`). */
export async function seedStudios(databaseUrl: string, tag: string, n: number): Promise<SeededDevice[]> {
  return withClient(databaseUrl, async (c) => {
    await c.query(
      `INSERT INTO "Studio" (id, name, "ownerEmail")
       SELECT ${uuidSql(`${tag}/studio`, "g")}, 'Seeded studio ' || g, 'owner' || g || '@seed.test' FROM generate_series(1, $1) g`,
      [n],
    );
    const { rows } = await c.query<{ studio_id: string; device_id: string }>(
      `INSERT INTO "Device" (id, "studioId", name, "signPublicKey", certificate)
       SELECT ${uuidSql(`${tag}/device`, "g")}, ${uuidSql(`${tag}/studio`, "g")}, 'front-desk', 'seeded', '{}'::jsonb
       FROM generate_series(1, $1) g
       RETURNING "studioId" AS studio_id, id AS device_id`,
      [n],
    );
    return rows.map((r) => ({ studioId: r.studio_id, deviceId: r.device_id }));
  });
}

/** A device credential as the server issues it (services/device-auth.ts), signed with its secret. */
export function deviceToken(jwtSecret: string, d: SeededDevice): string {
  const ctx = { config: { jwtSecret, deviceTokenTtlSeconds: 86_400 } } as Ctx;
  return issueDeviceToken(ctx, { id: d.deviceId, studioId: d.studioId }).accessToken;
}

/**
 * `days` daily restore points for each of the studios seeded under `tag`, inserted day by day
 * (every studio backs up each night), so a studio's rows are spread over the table as in
 * production rather than stored next to each other.
 */
export async function seedRestorePoints(
  databaseUrl: string,
  tag: string,
  studios: number,
  days: number,
): Promise<{ rows: number; ms: number }> {
  return withClient(databaseUrl, async (c) => {
    const t = performance.now();
    // Integrity columns, where the schema has them: mark seeded points as not due, or the
    // worker's sweeper would spend the measurement verifying 3.65 M fake restore points.
    const cols = new Set(
      (
        await c.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'RestorePoint'`)
      ).rows.map((r) => r.column_name),
    );
    const extraCols = cols.has("verifyDueAt") ? `, "verifyDueAt"` : "";
    const extraVals = cols.has("verifyDueAt") ? ", NULL" : "";
    const ref = `'\\x${"ab".repeat(32)}'::bytea`;
    await c.query(`SET synchronous_commit = off`);
    await c.query(`SET maintenance_work_mem = '256MB'`);
    // Bulk-load practice: drop the secondary indexes, insert, rebuild them from their own
    // definitions (pg_indexes), so the table ends exactly as migrated. Maintaining five B-trees
    // row by row made the full 3.65 M-row seed take minutes.
    const { rows: indexes } = await c.query<{ indexname: string; indexdef: string }>(
      `SELECT i.indexname, i.indexdef FROM pg_indexes i
       WHERE i.tablename = 'RestorePoint' AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)`,
    );
    for (const i of indexes) await c.query(`DROP INDEX "${i.indexname}"`);
    // One statement per 30 days: progress stays visible and no transaction holds millions of rows.
    for (let d0 = 0; d0 < days; d0 += 30) {
      await c.query(
        `INSERT INTO "RestorePoint" (id, "studioId", "deviceId", "createdAt", label, files, bytes, "rootChunkId", refs, "refCount"${extraCols})
         SELECT ${uuidSql(`${tag}/rp`, "s || '/' || d")}, ${uuidSql(`${tag}/studio`, "s")}, ${uuidSql(`${tag}/device`, "s")},
                now() - make_interval(days => d, secs => s % 3600), 'nightly', 12000, 250000000000, ${ref}, ${ref}, 1${extraVals}
         FROM generate_series($1::int, $2::int) d CROSS JOIN generate_series(1, $3::int) s`,
        [d0, Math.min(days, d0 + 30) - 1, studios],
      );
    }
    for (const i of indexes) await c.query(i.indexdef);
    await c.query(`ANALYZE "RestorePoint"`);
    return { rows: studios * days, ms: performance.now() - t };
  });
}

/** The plan Postgres picks for the "latest restore point" query (the SQL of services/restore-points.ts). */
export async function latestPlan(databaseUrl: string, studioId: string): Promise<string> {
  return withClient(databaseUrl, async (c) => {
    const { rows } = await c.query<{ "QUERY PLAN": string }>(
      `EXPLAIN (ANALYZE, COSTS OFF)
       SELECT r.id, r."createdAt", r.label, r.files, r.bytes, r."deviceId", encode(r."rootChunkId", 'hex') AS "rootChunkId",
              r."refCount", r.skipped, r.health::text AS health, r."verifiedAt", r."damagedChunks",
              r."clientVerifiedAt", r."clientVerifyOk", d.name AS "deviceName"
       FROM "RestorePoint" r JOIN "Device" d ON d.id = r."deviceId"
       WHERE r."studioId" = $1::uuid
       ORDER BY r."createdAt" DESC, r.id DESC
       LIMIT 1`,
      [studioId],
    );
    return rows.map((r) => r["QUERY PLAN"].trim()).join(" | ");
  });
}
