// One garbage collection run for one studio (docs/garbage-collection.md): lease, mark, sweep,
// repack, objects. The lease (GcState.runId/leaseUntil, ctx.clock) keeps runs of a studio from
// overlapping across workers when Redis hands the job out twice; safety does not depend on it
// (each sweep transaction re-checks under the studio lock).
import { randomUUID } from "node:crypto";
import type { Ctx } from "../../context.ts";
import { buildLiveSet } from "./live-set.ts";
import { markStudio, type MarkResult } from "./mark.ts";
import { collectObjects, type ObjectsResult } from "./objects.ts";
import { repackStudio, type RepackHooks, type RepackResult } from "./repack.ts";
import { sweepStudio } from "./sweep.ts";

export type CollectResult =
  | { ran: false; reason: "busy" }
  | ({ ran: true; liveIds: number; liveSetBytes: number; deletedChunks: number; keptChunks: number; ms: number } & MarkResult &
      ObjectsResult &
      RepackResult);

/** Takes the studio's run lease: the run id, or null while another run holds it. */
async function takeLease(ctx: Ctx, studioId: string): Promise<string | null> {
  const runId = randomUUID();
  const now = ctx.clock.now();
  const until = new Date(now.getTime() + ctx.config.gc.runLeaseMs);
  const rows = await ctx.db.$queryRaw<Array<{ runId: string }>>`
    INSERT INTO "GcState" ("studioId", "runId", "leaseUntil") VALUES (${studioId}::uuid, ${runId}::uuid, ${until}::timestamp(3))
    ON CONFLICT ("studioId") DO UPDATE SET "runId" = EXCLUDED."runId", "leaseUntil" = EXCLUDED."leaseUntil"
    WHERE "GcState"."leaseUntil" IS NULL OR "GcState"."leaseUntil" <= ${now}::timestamp(3)
    RETURNING "runId"::text AS "runId"`;
  return rows.length ? runId : null;
}

async function releaseLease(ctx: Ctx, studioId: string, runId: string, result: object | null): Promise<void> {
  await ctx.db.$executeRaw`
    UPDATE "GcState" SET "runId" = NULL, "leaseUntil" = NULL, "lastRunAt" = ${ctx.clock.now()}::timestamp(3),
      "lastResult" = coalesce(${result === null ? null : JSON.stringify(result)}::jsonb, "lastResult")
    WHERE "studioId" = ${studioId}::uuid AND "runId" = ${runId}::uuid`;
}

export async function collectStudio(ctx: Ctx, studioId: string, o: { repackHooks?: RepackHooks } = {}): Promise<CollectResult> {
  const runId = await takeLease(ctx, studioId);
  if (!runId) return { ran: false, reason: "busy" };
  const started = Date.now();
  let result: CollectResult | null = null;
  try {
    const live = await buildLiveSet(ctx, studioId);
    const mark = await markStudio(ctx, studioId, live);
    const swept = await sweepStudio(ctx, studioId, live);
    const repacked = await repackStudio(ctx, studioId, o.repackHooks);
    const objects = await collectObjects(ctx, studioId, swept.objectKeys);
    result = {
      ran: true,
      liveIds: live.ids.size,
      liveSetBytes: live.ids.bytes,
      ...mark,
      deletedChunks: swept.deleted,
      keptChunks: swept.kept,
      ...repacked,
      ...objects,
      ms: Date.now() - started,
    };
    return result;
  } finally {
    await releaseLease(ctx, studioId, runId, result);
  }
}

/** Studios due for a run (never collected, or last run an interval ago), for the sweeper. */
export async function studiosDue(ctx: Ctx, limit: number): Promise<string[]> {
  const due = new Date(ctx.clock.now().getTime() - ctx.config.gc.intervalMs);
  const rows = await ctx.db.$queryRaw<Array<{ id: string }>>`
    SELECT s.id::text AS id FROM "Studio" s LEFT JOIN "GcState" g ON g."studioId" = s.id
    WHERE g."lastRunAt" IS NULL OR g."lastRunAt" <= ${due}::timestamp(3)
    ORDER BY g."lastRunAt" NULLS FIRST LIMIT ${limit}::int`;
  return rows.map((r) => r.id);
}
