// Garbage collection tests (test/integration/gc-*.test.ts): a studio with one device in process
// (test/support/in-process.ts) on a ManualClock, packs stored through the relay service with real
// bytes (so the blob store holds them), reference pages and commits through the services.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { ManualClock } from "../../server/clock.ts";
import type { Ctx } from "../../server/context.ts";
import { commitRestorePoint } from "../../server/services/commit-restore-point.ts";
import { storePack, type Uploader } from "../../server/services/packs.ts";
import { startInProcess, type InProcess } from "./in-process.ts";
import { commitOf, sendRefPages } from "./restore-points.ts";
import { s3SkipReason } from "./s3.ts";
import { enrollTestDevice, newTestStudio } from "./studio.ts";

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface GcWorld {
  proc: InProcess;
  ctx: Ctx;
  clock: ManualClock;
  studioId: string;
  deviceId: string;
  /** Every chunk's bytes, by hex id (what a restore must read back). */
  data: Map<string, Buffer>;
  close(): Promise<void>;
}

/** S3 (Ceph RGW) when the environment has it, else the local directory store. */
export async function gcWorld(env: Record<string, string> = {}): Promise<GcWorld> {
  const proc = await startInProcess({ s3: !s3SkipReason(), env });
  const clock = new ManualClock(new Date());
  const ctx: Ctx = { ...proc.ctx, clock };
  const studio = await newTestStudio(ctx);
  const device = await enrollTestDevice(ctx, studio);
  return { proc, ctx, clock, studioId: studio.studioId, deviceId: device.deviceId, data: new Map(), close: () => proc.close() };
}

export const uploader = (w: GcWorld, sessionId: string): Uploader => ({ studioId: w.studioId, deviceId: w.deviceId, sessionId });

/** `n` new chunks of random bytes: their ids (sorted). */
export function newChunks(w: GcWorld, n: number, size = 64 + Math.floor(Math.random() * 200)): string[] {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = randomBytes(32).toString("hex");
    w.data.set(id, randomBytes(size));
    ids.push(id);
  }
  return ids.sort();
}

/** Uploads the chunks `ids` (known to w.data) as one relayed pack of the session: its object key. */
export async function uploadPack(w: GcWorld, sessionId: string, ids: readonly string[], ctx: Ctx = w.ctx): Promise<string> {
  const table = ids.map((id) => ({ id, size: w.data.get(id)!.length, sha256: createHash("sha256").update(w.data.get(id)!).digest("hex") }));
  const results = await storePack(ctx, uploader(w, sessionId), table, Buffer.concat(ids.map((id) => w.data.get(id)!)));
  for (const r of results) assert.ok(!("status" in r), `pack chunk ${r.id} failed`);
  const [row] = await w.ctx.db.$queryRaw<Array<{ objectKey: string }>>`
    SELECT "objectKey" FROM "Upload" WHERE "sessionId" = ${sessionId}::uuid ORDER BY "createdAt" DESC LIMIT 1`;
  return row!.objectKey;
}

/** Sends the reference pages of `ids` and commits them under `restorePointId` (= the session). */
export async function commit(w: GcWorld, restorePointId: string, ids: readonly string[], ctx: Ctx = w.ctx): Promise<void> {
  const sorted = [...ids].sort();
  const who = { studioId: w.studioId, deviceId: w.deviceId };
  const pages = await sendRefPages(ctx, who, restorePointId, sorted, 1000);
  await commitRestorePoint(ctx, who, restorePointId, commitOf(sorted, pages));
}

/** Whether the studio holds a row for the chunk. */
export async function hasRow(w: GcWorld, id: string): Promise<boolean> {
  const rows = await w.ctx.db.$queryRaw<
    unknown[]
  >`SELECT 1 FROM "Chunk" WHERE "studioId" = ${w.studioId}::uuid AND id = decode(${id}, 'hex')`;
  return rows.length === 1;
}

/** Whether the blob store holds the object. */
export async function hasObject(w: GcWorld, key: string): Promise<boolean> {
  return (await w.ctx.blobs.stat(key)) !== null;
}

/**
 * Every chunk referenced by every committed restore point of the studio has its row, and its
 * bytes read back from the blob store (a ranged read of its pack) are the bytes uploaded. Returns
 * how many references were checked.
 */
export async function assertRestorable(w: GcWorld): Promise<number> {
  const points = await w.ctx.db.restorePoint.findMany({ where: { studioId: w.studioId }, select: { id: true, refs: true } });
  const seen = new Set<string>();
  for (const p of points) {
    const refs = Buffer.from(p.refs);
    for (let at = 0; at < refs.length; at += 32) seen.add(refs.subarray(at, at + 32).toString("hex"));
  }
  const ids = [...seen];
  for (let i = 0; i < ids.length; i += 1000) {
    const batch = ids.slice(i, i + 1000);
    const rows = await w.ctx.db.$queryRaw<Array<{ id: string; objectKey: string; offset: number | null; size: number }>>`
      SELECT encode(id, 'hex') AS id, "objectKey", "offset", size FROM "Chunk"
      WHERE "studioId" = ${w.studioId}::uuid AND id IN (SELECT decode(h, 'hex') FROM unnest(${batch}::text[]) AS x(h))`;
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const id of batch) {
      const row = byId.get(id);
      assert.ok(row, `chunk ${id} of a committed restore point has no row`);
      const bytes = await w.ctx.blobs.readRange(row.objectKey, row.offset ?? 0, row.size);
      assert.ok(bytes.equals(w.data.get(id)!), `chunk ${id} does not read back byte for byte from ${row.objectKey}`);
    }
  }
  return ids.length;
}
