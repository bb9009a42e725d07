// The live set of a studio (docs/garbage-collection.md): every chunk id named by a restore point
// row (soft-deleted ones included: they are rows until retention hard-deletes them) or by a
// pending reference page. Each restore point's `refs` is read in slices of SLICE_IDS ids
// (substring of the bytea: Postgres reads only the TOAST chunks of the slice), so the process
// holds one slice and the IdSet, never a restore point's or the studio's references whole.
//
// The mark reads the slices on its own connection with `pg` (bytea arrives as a Buffer): through
// Prisma's raw queries (hex text, as Prisma 6.19's JS engine cannot read raw bytea) the same read
// took 2.5-2.8x as long (200,000 ids, 6 slices: 3.8 s vs 1.3-1.6 s on the shared 2-core machine
// at load 31). Inside a sweep transaction (a few restore points at most) Prisma's is used.
import pg from "pg";
import type { Ctx } from "../../context.ts";
import type { Prisma } from "../../db.ts";
import { IdSet } from "./id-set.ts";

const ID_BYTES = 32;
/** 32,768 ids, 1 MiB per round trip (2 MiB of hex). */
export const SLICE_IDS = 32_768;

/** A Prisma client or an interactive transaction's client. */
type Sql = Pick<Ctx["db"], "$queryRaw">;

export interface LiveSet {
  ids: IdSet;
  /** The restore points whose references are in `ids`. */
  restorePoints: Set<string>;
}

/** The studio's restore point ids with their reference counts. */
async function restorePointsOf(db: Sql, studioId: string): Promise<Array<{ id: string; refCount: number }>> {
  return db.$queryRaw<Array<{ id: string; refCount: number }>>`
    SELECT id::text AS id, "refCount" FROM "RestorePoint" WHERE "studioId" = ${studioId}::uuid ORDER BY "createdAt", id`;
}

/** Adds one restore point's references, slice by slice, read on a `pg` connection. */
async function addRestorePointPg(client: pg.Client, set: IdSet, id: string, refCount: number): Promise<void> {
  for (let from = 0; from < refCount; from += SLICE_IDS) {
    const r = await client.query<{ b: Buffer | null }>(
      `SELECT substring(refs FROM $1::int FOR $2::int) AS b FROM "RestorePoint" WHERE id = $3::uuid`,
      [from * ID_BYTES + 1, SLICE_IDS * ID_BYTES, id],
    );
    const b = r.rows[0]?.b;
    if (b) set.addPacked(b);
  }
}

/** Adds one restore point's references, slice by slice. */
async function addRestorePoint(db: Sql, set: IdSet, id: string, refCount: number): Promise<void> {
  for (let from = 0; from < refCount; from += SLICE_IDS) {
    const [row] = await db.$queryRaw<Array<{ hex: string | null }>>`
      SELECT encode(substring(refs FROM ${from * ID_BYTES + 1}::int FOR ${SLICE_IDS * ID_BYTES}::int), 'hex') AS hex
      FROM "RestorePoint" WHERE id = ${id}::uuid`;
    if (row?.hex) set.addPacked(Buffer.from(row.hex, "hex"));
  }
}

/** Adds every pending reference page of the studio (bounded per device: MAX_PENDING_REF_PAGES_PER_DEVICE). */
async function addPendingPages(db: Sql, set: IdSet, studioId: string): Promise<void> {
  let after: { rp: string; page: number } = { rp: "00000000-0000-0000-0000-000000000000", page: -1 };
  for (;;) {
    const rows = await db.$queryRaw<Array<{ rp: string; page: number; hex: string }>>`
      SELECT "restorePointId"::text AS rp, page, encode(ids, 'hex') AS hex FROM "PendingRefPage"
      WHERE "studioId" = ${studioId}::uuid AND ("restorePointId", page) > (${after.rp}::uuid, ${after.page}::int)
      ORDER BY "restorePointId", page LIMIT 16`;
    for (const r of rows) set.addPacked(Buffer.from(r.hex, "hex"));
    const last = rows.at(-1);
    if (!last || rows.length < 16) return;
    after = { rp: last.rp, page: last.page };
  }
}

/** The mark's live set: every restore point existing now, and the pending pages. */
export async function buildLiveSet(ctx: Ctx, studioId: string): Promise<LiveSet> {
  const points = await restorePointsOf(ctx.db, studioId);
  const ids = new IdSet(Math.max(...points.map((p) => p.refCount), 1 << 16));
  const restorePoints = new Set<string>();
  const client = new pg.Client({ connectionString: ctx.config.databaseUrl });
  await client.connect();
  try {
    for (const p of points) {
      await addRestorePointPg(client, ids, p.id, p.refCount);
      restorePoints.add(p.id);
    }
  } finally {
    await client.end();
  }
  await addPendingPages(ctx.db, ids, studioId);
  return { ids, restorePoints };
}

/**
 * Completes the live set inside a sweep transaction (commits blocked by the studio lock): the
 * restore points committed since the mark listed them, and the pending pages as they are now.
 */
export async function completeLiveSet(tx: Prisma.TransactionClient, live: LiveSet, studioId: string): Promise<void> {
  for (const p of await restorePointsOf(tx, studioId)) {
    if (live.restorePoints.has(p.id)) continue;
    await addRestorePoint(tx, live.ids, p.id, p.refCount);
    live.restorePoints.add(p.id);
  }
  await addPendingPages(tx, live.ids, studioId);
}
