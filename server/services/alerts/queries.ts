// Reading alerts: a studio's (owners and staff), support's queue across studios (oldest first),
// and support's resend, which writes a fresh event for the alert to the outbox (no rate limit:
// a person asked for it) and is audited.
import type { Ctx } from "../../context.ts";
import { errors } from "../../errors.ts";
import { audit, type Actor } from "../audit.ts";
import { DAILY_DIGEST } from "./digest.ts";
import { writeDeliveries } from "./plan-deliveries.ts";

const include = {
  deliveries: { orderBy: { createdAt: "asc" as const }, take: 50 },
  device: { select: { name: true } },
  studio: { select: { name: true } },
};

export async function listStudioAlerts(ctx: Ctx, studioId: string | null, q: { state: "open" | "all"; limit: number; alertId?: string }) {
  return ctx.db.alert.findMany({
    // Daily digests are messages, not alerts: their deliveries are in the log, not this list.
    where: {
      studioId,
      ...(q.state === "open" ? { resolvedAt: null } : {}),
      ...(q.alertId ? { id: q.alertId } : { kind: { not: DAILY_DIGEST } }),
    },
    orderBy: { createdAt: "desc" },
    take: q.limit,
    include,
  });
}

export type AlertRow = Awaited<ReturnType<typeof listStudioAlerts>>[number];

/** Open alerts across studios, oldest first: escalated ones, or all open ones. */
export async function supportQueue(ctx: Ctx, q: { scope: "escalated" | "open"; limit: number }): Promise<AlertRow[]> {
  return ctx.db.alert.findMany({
    where: { resolvedAt: null, ...(q.scope === "escalated" ? { escalatedAt: { not: null } } : {}) },
    orderBy: { createdAt: "asc" },
    take: q.limit,
    include,
  });
}

export async function resendAlert(ctx: Ctx, actor: Actor, alertId: string): Promise<{ alertId: string; deliveries: number }> {
  const alert = await ctx.db.alert.findUnique({ where: { id: alertId }, select: { id: true, studioId: true, kind: true, details: true } });
  if (!alert) throw errors.notFound("alert");
  const now = ctx.clock.now();
  const deliveries = await ctx.db.$transaction(async (tx) => {
    // An operator alert goes to the operators again (never to a studio: writeDeliveries decides).
    const n = await writeDeliveries(tx, alert, `resend-${now.getTime()}`, now, {
      limit: false,
      operatorWebhookUrl: ctx.config.alerts.operatorWebhook?.url ?? null,
    });
    await audit(tx, actor, { action: "alert.resent", studioId: alert.studioId, target: alert.id, details: { deliveries: n } });
    return n;
  });
  return { alertId, deliveries };
}
