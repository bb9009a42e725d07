// The studio summary (GET /v1/studio): counts by health, the latest restore point and the latest
// verified one, and open alerts. Index lookups only (RestorePoint (studioId, health, createdAt)).
import type { Ctx } from "../../context.ts";
import { errors } from "../../errors.ts";

export async function studioSummary(ctx: Ctx, studioId: string) {
  const studio = await ctx.db.studio.findUnique({ where: { id: studioId }, select: { id: true, name: true } });
  if (!studio) throw errors.notFound("studio");
  const newest = { orderBy: [{ createdAt: "desc" as const }, { id: "desc" as const }] };
  const [restorePoints, damaged, pending, latest, latestVerified, openAlerts] = await Promise.all([
    ctx.db.restorePoint.count({ where: { studioId } }),
    ctx.db.restorePoint.count({ where: { studioId, health: "damaged" } }),
    ctx.db.restorePoint.count({ where: { studioId, health: "pending" } }),
    ctx.db.restorePoint.findFirst({ where: { studioId }, ...newest, select: { id: true, createdAt: true, health: true } }),
    ctx.db.restorePoint.findFirst({
      where: { studioId, health: "verified" },
      ...newest,
      select: { id: true, createdAt: true, verifiedAt: true },
    }),
    ctx.db.alert.findMany({ where: { studioId, resolvedAt: null }, orderBy: { createdAt: "desc" }, take: 100 }),
  ]);
  return { studio, restorePoints, damaged, pending, latest, latestVerified, openAlerts };
}

export type StudioSummary = Awaited<ReturnType<typeof studioSummary>>;
