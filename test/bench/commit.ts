// A large commit, measured: a restore point of `pages` full reference pages (16,384 ids each)
// whose chunks are seeded straight into Postgres, committed through the API; reports the commit's
// wall time and the API process's peak resident memory during it (Linux: the peak is reset
// through /proc/PID/clear_refs just before the commit and read from VmHWM after it).
//
//   node --import tsx test/bench/commit.ts --pages 100
//
// test/integration/commit-bounds.test.ts runs the same measurement with a memory bound.
import { createHash, randomUUID } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { MAX_REFS_PER_PAGE } from "../../protocol/limits.ts";
import { enrolledPcs } from "../support/cli.ts";
import { authOf } from "../support/integrity.ts";
import { startServer, type TestServer } from "../support/server.ts";

const MB = 1024 * 1024;

/** Chunk id number i (from 1): its big-endian number then 28 bytes of SHA-256, so ids sort by i. */
export function seededId(i: number): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(i);
  return Buffer.concat([head, createHash("sha256").update(String(i)).digest().subarray(0, 28)]);
}

/** Inserts chunk rows 1..count for the studio, with the ids of seededId (no objects: API only). */
export async function seedChunks(databaseUrl: string, studioId: string, count: number): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO "Chunk" ("studioId", id, size, sha256, "objectKey")
       SELECT $1::uuid, decode(lpad(to_hex(i), 8, '0'), 'hex') || substring(sha256(i::text::bytea) FROM 1 FOR 28), 1048576,
              sha256(i::text::bytea), 'seeded/' || i
       FROM generate_series(1, $2::int) AS i`,
      [studioId, count],
    );
  } finally {
    await db.end();
  }
}

/** Page p of a restore point referencing chunks 1..pages*MAX_REFS_PER_PAGE. */
export function seededPage(p: number): Buffer {
  return Buffer.concat(Array.from({ length: MAX_REFS_PER_PAGE }, (_, j) => seededId(p * MAX_REFS_PER_PAGE + j + 1)));
}

async function memoryKb(pid: number, field: "VmHWM" | "VmRSS"): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
}

export interface CommitReport {
  pages: number;
  refs: number;
  status: number;
  commitMs: number;
  rssBeforeMB: number;
  peakRssMB: number;
  /** Peak during the commit minus resident memory just before it. */
  peakGrowthMB: number;
}

/** Uploads `pages` pages for a fresh restore point of the device, then measures its commit. */
export async function measureCommit(
  server: TestServer,
  auth: Record<string, string>,
  pages: number,
): Promise<CommitReport & { restorePointId: string }> {
  const rp = randomUUID();
  for (let p = 0; p < pages; p++) {
    const res = await fetch(`${server.url}/v1/restore-points/${rp}/refs/${p}`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/octet-stream" },
      body: new Uint8Array(seededPage(p)),
    });
    if (res.status !== 204) throw new Error(`page ${p}: ${res.status} ${await res.text()}`);
  }
  const pid = server.proc.pid!;
  await new Promise((r) => setTimeout(r, 500)); // let the page uploads' garbage settle
  await writeFile(`/proc/${pid}/clear_refs`, "5"); // resets VmHWM to the current RSS
  const before = await memoryKb(pid, "VmRSS");
  const refs = pages * MAX_REFS_PER_PAGE;
  const started = performance.now();
  const res = await fetch(`${server.url}/v1/restore-points/${rp}/commit`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({
      label: "large",
      files: 1,
      bytes: refs,
      rootChunkId: seededId(1).toString("hex"),
      refPages: pages,
      refCount: refs,
    }),
  });
  await res.arrayBuffer();
  const commitMs = Math.round(performance.now() - started);
  const peak = await memoryKb(pid, "VmHWM");
  return {
    restorePointId: rp,
    pages,
    refs,
    status: res.status,
    commitMs,
    rssBeforeMB: Math.round(before / 1024),
    peakRssMB: Math.round(peak / 1024),
    peakGrowthMB: Math.round(((peak - before) * 1024) / MB),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { pages: { type: "string", default: "100" } } });
  const pages = Number(values.pages);
  const server = await startServer({ role: "api" });
  try {
    const { studioId, pcs } = await enrolledPcs(server, 1);
    const seedStarted = performance.now();
    await seedChunks(server.databaseUrl, studioId, pages * MAX_REFS_PER_PAGE);
    console.error(`seeded ${pages * MAX_REFS_PER_PAGE} chunk rows in ${Math.round(performance.now() - seedStarted)} ms`);
    const { restorePointId: _, ...report } = await measureCommit(server, await authOf(pcs[0]!), pages);
    console.log(JSON.stringify(report));
    if (report.status >= 400) console.error(server.logs().slice(-4000));
  } finally {
    await server.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
