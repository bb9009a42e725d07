// Snoozing an alert (issue 22: "a PC on holiday" without turning alerts off). An owner (their
// studio's studio alerts) or support and admins (any alert, operator ones too) snooze one open
// alert until now + hours, at most ALERT_SNOOZE_MAX_HOURS: a snooze always ends by itself. While
// snoozed, nothing about it is sent and it is not escalated (plan-deliveries.ts: notSnoozed); the
// evaluator still resolves it when its cause goes away. When the snooze ends and the alert is
// still open, its messages are sent again (event "snooze-ended-<until>", no daily limit: it is
// the reminder someone asked for). hours = 0 ends a snooze now. Audited as "alert.snoozed".
import type { Ctx } from "../../context.ts";
import { errors } from "../../errors.ts";
import { audit, type Actor } from "../audit.ts";
import { alertKind } from "./kinds.ts";
import { writeDeliveries } from "./plan-deliveries.ts";
import { listStudioAlerts, type AlertRow } from "./queries.ts";

const HOUR = 3_600_000;
const BATCH = 200;

/** `studioId`: the route's studio (an alert of another studio is not found). */
export async function snoozeAlert(ctx: Ctx, actor: Actor, input: { alertId: string; studioId?: string; hours: number }): Promise<AlertRow> {
  const alert = await ctx.db.alert.findFirst({
    where: { id: input.alertId, ...(input.studioId ? { studioId: input.studioId } : {}) },
    select: { id: true, studioId: true, kind: true, resolvedAt: true },
  });
  if (!alert) throw errors.notFound("alert");
  // Operator alerts are the operators' to weigh: an owner may read one about their studio, not mute it.
  if (actor.role === "owner" && alertKind(alert.kind).audience === "operator")
    throw errors.forbidden("operator alerts are snoozed by support");
  if (alert.resolvedAt) throw errors.conflict("ALERT_RESOLVED", "this alert is resolved: there is nothing to snooze");
  const maxHours = ctx.config.alerts.snoozeMaxMs / HOUR;
  if (input.hours > maxHours) throw errors.validation(`hours: at most ${maxHours} (ALERT_SNOOZE_MAX_HOURS)`);
  const now = ctx.clock.now();
  const until = new Date(now.getTime() + Math.round(input.hours * HOUR));
  await ctx.db.$transaction(async (tx) => {
    await tx.alert.update({ where: { id: alert.id }, data: { snoozedUntil: until } });
    await audit(tx, actor, {
      action: "alert.snoozed",
      studioId: alert.studioId,
      target: alert.id,
      details: { kind: alert.kind, hours: input.hours, until: until.toISOString() },
    });
  });
  const rows = await listStudioAlerts(ctx, alert.studioId, { state: "all", limit: 1, alertId: alert.id });
  return rows[0]!;
}

/**
 * Alerts whose snooze ended while they stayed open and that had been sent before: sent again.
 * Each is claimed (snoozedUntil cleared where still that value) in the transaction that writes
 * its messages, so racing evaluations re-send it once. An alert never sent yet needs nothing
 * here: planning picks it up once its snooze is over.
 */
export async function reraiseSnoozed(ctx: Ctx, now: Date): Promise<number> {
  let n = 0;
  for (;;) {
    const due = await ctx.db.alert.findMany({
      where: { resolvedAt: null, notifiedAt: { not: null }, snoozedUntil: { lte: now } },
      orderBy: { snoozedUntil: "asc" },
      take: BATCH,
      select: { id: true, studioId: true, kind: true, details: true, snoozedUntil: true },
    });
    for (const alert of due) {
      await ctx.db.$transaction(async (tx) => {
        const claimed = await tx.alert.updateMany({
          where: { id: alert.id, snoozedUntil: alert.snoozedUntil },
          data: { snoozedUntil: null },
        });
        if (!claimed.count) return;
        n++;
        await writeDeliveries(tx, alert, `snooze-ended-${alert.snoozedUntil!.getTime()}`, now, {
          limit: false,
          operatorWebhookUrl: ctx.config.alerts.operatorWebhook?.url ?? null,
        });
      });
    }
    if (due.length < BATCH) return n;
  }
}
