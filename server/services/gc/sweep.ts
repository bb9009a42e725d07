// The sweep (docs/garbage-collection.md, step 3): chunk rows dead for the grace and marked before
// every running upload session started are deleted, SWEEP_BATCH per transaction, each holding the
// studio lock exclusively (commits wait for it) and re-checking its candidates against the live
// set completed inside it. Returns the object keys whose rows it deleted.
import type { Ctx } from "../../context.ts";
import { completeLiveSet, type LiveSet } from "./live-set.ts";
import { studioLock } from "./leases.ts";

const SWEEP_BATCH = 5_000;
/** A sweep transaction reads at most the restore points committed since the mark: seconds. */
const TX_TIMEOUT_MS = 120_000;

export interface SweepResult {
  deleted: number;
  kept: number;
  objectKeys: Set<string>;
}

/** `deadSince` must be before this: the grace, and the earliest start of an unexpired session. */
async function deadBefore(db: Pick<Ctx["db"], "$queryRaw">, ctx: Ctx, studioId: string): Promise<Date> {
  const now = ctx.clock.now();
  const [row] = await db.$queryRaw<Array<{ start: Date | null }>>`
    SELECT min("startedAt") AS start FROM "UploadSession" WHERE "studioId" = ${studioId}::uuid AND "expiresAt" > ${now}::timestamp(3)`;
  // <= now - grace, expressed as < (now - grace + 1 ms): timestamps are milliseconds.
  const graceEnd = new Date(now.getTime() - ctx.config.gc.graceMs + 1);
  return row?.start && row.start < graceEnd ? row.start : graceEnd;
}

export async function sweepStudio(ctx: Ctx, studioId: string, live: LiveSet): Promise<SweepResult> {
  const out: SweepResult = { deleted: 0, kept: 0, objectKeys: new Set() };
  let after = "";
  for (;;) {
    const before = await deadBefore(ctx.db, ctx, studioId);
    const batch = await ctx.db.$queryRaw<Array<{ id: string }>>`
      SELECT encode(id, 'hex') AS id FROM "Chunk"
      WHERE "studioId" = ${studioId}::uuid AND "deadSince" < ${before}::timestamp(3) AND id > decode(${after}, 'hex')
      ORDER BY id LIMIT ${SWEEP_BATCH}::int`;
    if (batch.length === 0) return out;
    after = batch.at(-1)!.id;
    const keys = await ctx.db.$transaction(
      async (tx) => {
        await tx.$queryRaw`${studioLock(studioId, "exclusive")}`;
        await completeLiveSet(tx, live, studioId);
        const dead = batch.map((r) => r.id).filter((id) => !live.ids.has(id));
        out.kept += batch.length - dead.length;
        if (dead.length === 0) return [];
        const txBefore = await deadBefore(tx, ctx, studioId);
        const gone = await tx.$queryRaw<Array<{ objectKey: string }>>`
          WITH x AS (
            SELECT id FROM "Chunk" WHERE "studioId" = ${studioId}::uuid AND "deadSince" < ${txBefore}::timestamp(3)
              AND id IN (SELECT decode(h, 'hex') FROM unnest(${dead}::text[]) AS w(h))
            ORDER BY id FOR UPDATE
          )
          DELETE FROM "Chunk" c USING x
          WHERE c."studioId" = ${studioId}::uuid AND c.id = x.id AND c."deadSince" < ${txBefore}::timestamp(3)
          RETURNING c."objectKey"`;
        if (gone.length > 0) {
          await tx.$executeRaw`
            INSERT INTO "GcState" ("studioId", generation) VALUES (${studioId}::uuid, 1)
            ON CONFLICT ("studioId") DO UPDATE SET generation = "GcState".generation + 1`;
        }
        return gone.map((g) => g.objectKey);
      },
      { timeout: TX_TIMEOUT_MS, maxWait: 10_000 },
    );
    out.deleted += keys.length;
    for (const k of keys) out.objectKeys.add(k);
  }
}
