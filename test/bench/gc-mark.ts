// The collector's mark at the scale: one studio with --points restore points (365) of
// --refs references each (200,000), nightly-backup overlap (each day drops --churn of the previous
// day's chunks and adds as many new ones), every chunk row present plus --dead unreferenced ones.
// Rows are inserted directly (ids are sha256 of a counter, computed by Postgres). Measures
// collectStudio's live set and mark (services/gc/) in this process: time, and the peak RSS above
// the process's RSS before the run (VmHWM, reset through /proc/self/clear_refs).
//   node --import tsx test/bench/gc-mark.ts [--points 365] [--refs 200000] [--churn 2000] [--dead 10000] [--json FILE]
// Also `npm run bench -- --only gc`.
import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import pg from "pg";
import { buildLiveSet } from "../../server/services/gc/live-set.ts";
import { markStudio } from "../../server/services/gc/mark.ts";
import { startInProcess } from "../support/in-process.ts";
import { enrollTestDevice, newTestStudio } from "../support/studio.ts";

const { values: a } = parseArgs({
  options: {
    points: { type: "string", default: "365" },
    refs: { type: "string", default: "200000" },
    churn: { type: "string", default: "2000" },
    dead: { type: "string", default: "10000" },
    json: { type: "string" },
  },
});
const points = Number(a.points);
const refs = Number(a.refs);
const churn = Number(a.churn);
const dead = Number(a.dead);
const log = (line: string) => process.stderr.write(`${line}\n`);
const MiB = 1024 * 1024;

async function status(field: "VmRSS" | "VmHWM"): Promise<number> {
  const s = await readFile("/proc/self/status", "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0) * 1024;
}

const proc = await startInProcess();
try {
  const { ctx } = proc;
  const studio = await newTestStudio(ctx);
  const device = await enrollTestDevice(ctx, studio);
  const db = new pg.Client({ connectionString: ctx.config.databaseUrl });
  await db.connect();
  const seedStart = Date.now();
  const distinct = refs + (points - 1) * churn;
  // Chunk n's id is sha256(n); day d references chunks [d * churn, d * churn + refs).
  await db.query(`CREATE TEMP TABLE m AS SELECT n, sha256(int8send(n)) AS id FROM generate_series(0, $1::bigint - 1) AS n`, [distinct]);
  await db.query(`CREATE INDEX ON m (n)`);
  await db.query(
    `INSERT INTO "Chunk" ("studioId", id, size, sha256, "objectKey", "offset")
     SELECT $1::uuid, sha256(int8send(n)), 1000, sha256(int8send(-n - 1)), 'bench/pack-' || (n / 1000), (n % 1000) * 1000
     FROM generate_series(0, $2::bigint - 1) AS n`,
    [studio.studioId, distinct + dead],
  );
  for (let d = 0; d < points; d += 5) {
    await db.query(
      `INSERT INTO "RestorePoint" (id, "studioId", "deviceId", "createdAt", files, bytes, "rootChunkId", refs, "refCount")
       SELECT gen_random_uuid(), $1::uuid, $2::uuid, now() - make_interval(days => $4::int - d), 1, 1, sha256(int8send(d::bigint * $5)),
              (SELECT string_agg(m.id, ''::bytea ORDER BY m.id) FROM m WHERE m.n >= d::bigint * $5 AND m.n < d::bigint * $5 + $6),
              $6::int
       FROM generate_series($3::int, least($3::int + 4, $4::int - 1)) AS d`,
      [studio.studioId, device.deviceId, d, points, churn, refs],
    );
    if (d % 50 === 0) log(`  seeded ${d + 5}/${points} restore points (${Math.round((Date.now() - seedStart) / 1000)} s)`);
  }
  await db.query("ANALYZE");
  await db.end();
  log(
    `seeded ${points} x ${refs} references (${distinct} distinct live + ${dead} dead chunk rows) in ${Math.round((Date.now() - seedStart) / 1000)} s`,
  );

  if (global.gc) global.gc();
  const before = await status("VmRSS");
  await writeFile("/proc/self/clear_refs", "5"); // resets VmHWM to the current RSS
  const t0 = Date.now();
  const live = await buildLiveSet(ctx, studio.studioId);
  const t1 = Date.now();
  const mark = await markStudio(ctx, studio.studioId, live);
  const t2 = Date.now();
  const peak = await status("VmHWM");
  const result = {
    points,
    refsPerPoint: refs,
    references: points * refs,
    liveIds: live.ids.size,
    liveSetMiB: +(live.ids.bytes / MiB).toFixed(1),
    chunkRows: mark.chunks,
    marked: mark.marked,
    liveSetSeconds: (t1 - t0) / 1000,
    markSeconds: (t2 - t1) / 1000,
    rssBeforeMiB: Math.round(before / MiB),
    peakRssMiB: Math.round(peak / MiB),
    peakAboveMiB: Math.round((peak - before) / MiB),
  };
  if (result.liveIds < distinct || mark.marked !== dead) throw new Error(`wrong mark: ${JSON.stringify(result)}`);
  log(
    `gc mark: ${points} restore points x ${refs} refs: live set ${result.liveSetSeconds} s (${result.liveIds} ids, ${result.liveSetMiB} MiB table), ` +
      `mark ${result.markSeconds} s over ${result.chunkRows} chunk rows (${result.marked} marked); peak RSS ${result.peakRssMiB} MiB (+${result.peakAboveMiB} MiB)`,
  );
  if (a.json) await writeFile(a.json, JSON.stringify(result, null, 2));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await proc.close();
}
