// Usage (issue 20; docs/quotas-and-usage.md): one StudioUsageDay row per studio per UTC day, for
// billing, and a studio's usage now against its quota.
//
// A day's row is written by the first record-usage job after the day ended (jobs/tasks/
// record-usage.ts; the sweeper adds it for the last complete day of ctx.clock), for every studio
// that has none for that day, and never changed: a re-run, a second worker or a job re-created
// after Redis lost it inserts nothing (ON CONFLICT DO NOTHING, and the cheap NOT EXISTS makes a
// re-run one index probe per studio). Its counters are a snapshot taken then (recordedAt): stored
// bytes, chunk rows, restore points, the quota in force; uploadedBytes is the growth of
// Studio.uploadedBytes (a trigger-kept total of every pack stored) since the studio's previous
// row, i.e. that day's uploads when the job runs daily. A day the workers missed entirely (down
// for the whole following day) has no row: its uploads show up in the next row.
import type { Ctx } from "../context.ts";
import { errors } from "../errors.ts";
import { MAX_USAGE_DAYS, type UsageDayView } from "../../protocol/usage.ts";
import { audit, type Actor } from "./audit.ts";
import { quotaLevel, type QuotaState } from "./quota.ts";

const DAY_MS = 86_400_000;
/** Studios per INSERT: bounded statements (the chunk counts read each studio's chunk index). */
const BATCH = 200;

/** The UTC day of `at`, YYYY-MM-DD. */
export const dayOf = (at: Date): string => at.toISOString().slice(0, 10);
const startOf = (day: string): Date => new Date(`${day}T00:00:00.000Z`);
export const addDays = (day: string, n: number): string => dayOf(new Date(startOf(day).getTime() + n * DAY_MS));

/** The last UTC day that has ended by `now`: the one record-usage records. */
export const lastCompleteDay = (now: Date): string => addDays(dayOf(now), -1);

/**
 * Records `day` for every studio without a row for it; a day not yet over (by ctx.clock) is
 * refused, since its snapshot would not be the day's. Idempotent: answers the rows it added.
 */
export async function recordUsageDay(ctx: Ctx, day: string): Promise<{ day: string; recorded: number }> {
  const now = ctx.clock.now();
  if (startOf(addDays(day, 1)) > now) throw errors.validation(`${day} is not over yet`);
  let recorded = 0;
  for (let after = "00000000-0000-0000-0000-000000000000"; ;) {
    const ids = (
      await ctx.db.$queryRaw<Array<{ id: string }>>`
        SELECT id::text FROM "Studio" WHERE id > ${after}::uuid ORDER BY id LIMIT ${BATCH}`
    ).map((r) => r.id);
    if (ids.length === 0) break;
    recorded += await ctx.db.$executeRaw`
      INSERT INTO "StudioUsageDay" ("studioId", day, "storedBytes", "quotaBytes", chunks, "restorePoints", "uploadedBytes", "uploadedTotal", "recordedAt")
      SELECT s.id, ${day}::date, s."storedBytes", s."quotaBytes",
             (SELECT count(*) FROM "Chunk" c WHERE c."studioId" = s.id)::int,
             (SELECT count(*) FROM "RestorePoint" r WHERE r."studioId" = s.id)::int,
             s."uploadedBytes" - coalesce((
               SELECT p."uploadedTotal" FROM "StudioUsageDay" p WHERE p."studioId" = s.id AND p.day < ${day}::date ORDER BY p.day DESC LIMIT 1
             ), 0),
             s."uploadedBytes", ${now}::timestamp
      FROM "Studio" s
      WHERE s.id = ANY(${ids}::uuid[])
        AND NOT EXISTS (SELECT 1 FROM "StudioUsageDay" u WHERE u."studioId" = s.id AND u.day = ${day}::date)
      ON CONFLICT DO NOTHING`;
    after = ids[ids.length - 1]!;
  }
  return { day, recorded };
}

export interface UsageDayRow extends UsageDayView {
  studioId: string;
}

/**
 * Daily rows from `from` to `to` (UTC days, inclusive; at most MAX_USAGE_DAYS), one studio's or
 * every studio's, by studio then day. Defaults: `to` the last complete day, `from` 30 days before.
 */
export async function usageDays(ctx: Ctx, q: { studioId?: string; from?: string; to?: string }): Promise<UsageDayRow[]> {
  const to = q.to ?? lastCompleteDay(ctx.clock.now());
  const from = q.from ?? addDays(to, -29);
  for (const d of [from, to]) if (Number.isNaN(startOf(d).getTime()) || dayOf(startOf(d)) !== d) throw errors.validation(`${d}: not a day`);
  if (from > to) throw errors.validation("from is after to");
  if ((startOf(to).getTime() - startOf(from).getTime()) / DAY_MS >= MAX_USAGE_DAYS) {
    throw errors.validation(`at most ${MAX_USAGE_DAYS} days at once`);
  }
  if (q.studioId) await requireStudio(ctx, q.studioId);
  const rows = await ctx.db.studioUsageDay.findMany({
    where: { ...(q.studioId ? { studioId: q.studioId } : {}), day: { gte: startOf(from), lte: startOf(to) } },
    orderBy: [{ studioId: "asc" }, { day: "asc" }],
  });
  return rows.map((r) => ({
    studioId: r.studioId,
    day: dayOf(r.day),
    storedBytes: Number(r.storedBytes),
    quotaBytes: r.quotaBytes === null ? null : Number(r.quotaBytes),
    chunks: r.chunks,
    restorePoints: r.restorePoints,
    uploadedBytes: Number(r.uploadedBytes),
    recordedAt: r.recordedAt.toISOString(),
  }));
}

async function requireStudio(ctx: Ctx, studioId: string) {
  const s = await ctx.db.studio.findUnique({ where: { id: studioId } });
  if (!s) throw errors.notFound("studio");
  return s;
}

export interface StudioUsage {
  studioId: string;
  storedBytes: number;
  quotaBytes: number | null;
  limitBytes: number | null;
  percent: number | null;
  level: QuotaState["level"];
  uploadedBytes: number;
}

/** A studio's usage now against its quota (GET /v1/studios/:studioId/usage, datasafe-admin usage). */
export async function currentUsage(ctx: Ctx, studioId: string): Promise<StudioUsage> {
  const s = await requireStudio(ctx, studioId);
  const q = quotaLevel(s, ctx.config.quota.gracePercent);
  return {
    studioId,
    storedBytes: q.used,
    quotaBytes: q.quota,
    limitBytes: q.limit,
    percent: q.percent,
    level: q.level,
    uploadedBytes: Number(s.uploadedBytes),
  };
}

/** Sets a studio's quota (null: none), audited with the old and the new value. */
export async function setQuota(ctx: Ctx, actor: Actor, o: { studioId: string; quotaBytes: number | null }): Promise<StudioUsage> {
  if (o.quotaBytes !== null && !(Number.isSafeInteger(o.quotaBytes) && o.quotaBytes >= 0)) {
    throw errors.validation("the quota must be a whole number of bytes, 0 or more");
  }
  await ctx.db.$transaction(async (tx) => {
    const before = await tx.studio.findUnique({ where: { id: o.studioId }, select: { quotaBytes: true } });
    if (!before) throw errors.notFound("studio");
    await tx.studio.update({ where: { id: o.studioId }, data: { quotaBytes: o.quotaBytes === null ? null : BigInt(o.quotaBytes) } });
    await audit(tx, actor, {
      action: "studio.quota.set",
      studioId: o.studioId,
      target: o.studioId,
      details: { from: before.quotaBytes === null ? null : Number(before.quotaBytes), to: o.quotaBytes },
    });
  });
  return currentUsage(ctx, o.studioId);
}
