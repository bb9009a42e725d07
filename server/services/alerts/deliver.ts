// Sending what the outbox holds. A worker claims due rows with one UPDATE .. FOR UPDATE SKIP
// LOCKED that counts the attempt and pushes nextAttemptAt ahead by a lease, so racing workers
// never take the same row, and a worker that dies mid-send leaves its rows to be taken again
// after the lease (at least once; the row id is the message id a receiver deduplicates on).
// Each outcome is written only if the row is still at the claimed attempt.
//
// Backoff: 1 minute doubling, at most 6 hours; after ALERT_DELIVERY_ATTEMPTS attempts the row is
// "failed" and an operator alert "delivery_failed" is opened for the studio and channel; the next
// message that gets through on that channel resolves it.
import type { Ctx } from "../../context.ts";
import { ALERT, alertKind } from "./kinds.ts";
import { renderAlert } from "./message.ts";
import { openKeyOf, raiseAlerts, resolveAlerts } from "./raise.ts";
import { PermanentDeliveryError, type Transports } from "./transports.ts";

const BATCH = 50;
const LEASE_MS = 10 * 60_000;
const MINUTE = 60_000;
const MAX_BACKOFF_MS = 6 * 3_600_000;

export const backoffMs = (attempts: number) => Math.min(MAX_BACKOFF_MS, MINUTE * 2 ** Math.max(0, attempts - 1));

interface Claimed {
  id: string;
  alertId: string;
  studioId: string | null;
  channel: string;
  recipient: string;
  attempts: number;
}

async function claim(ctx: Ctx, now: Date): Promise<Claimed[]> {
  return ctx.db.$queryRaw<Claimed[]>`
    UPDATE "AlertDelivery" SET "attempts" = "attempts" + 1, "nextAttemptAt" = ${new Date(now.getTime() + LEASE_MS)}::timestamp(3)
    WHERE "id" IN (
      SELECT "id" FROM "AlertDelivery" WHERE "state" = 'pending' AND "nextAttemptAt" <= ${now}::timestamp(3)
      ORDER BY "nextAttemptAt" LIMIT ${BATCH} FOR UPDATE SKIP LOCKED
    )
    RETURNING "id", "alertId", "studioId", "channel", "recipient", "attempts"`;
}

const short = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 500);

async function deliverOne(ctx: Ctx, transports: Transports, d: Claimed, now: Date): Promise<"sent" | "retry" | "failed" | "skipped"> {
  const at = { id: d.id, attempts: d.attempts, state: "pending" };
  const transport = transports[d.channel as "email" | "webhook"];
  if (!transport) {
    await ctx.db.alertDelivery.updateMany({
      where: at,
      data: { state: "skipped", nextAttemptAt: null, lastError: `no ${d.channel} transport configured` },
    });
    return "skipped";
  }
  const alert = await ctx.db.alert.findUniqueOrThrow({
    where: { id: d.alertId },
    include: { studio: { select: { name: true, alertSettings: true } }, device: { select: { name: true } } },
  });
  const rendered = renderAlert(
    d.id,
    alert,
    { studio: alert.studio?.name ?? null, device: alert.device?.name ?? null },
    ctx.config.publicUrl,
  );
  // Operator alerts go to the operator's webhook, studio alerts to the studio's.
  const operator = alertKind(alert.kind).audience === "operator";
  try {
    await transport.send({
      deliveryId: d.id,
      recipient: d.recipient,
      rendered,
      webhook: operator
        ? { url: ctx.config.alerts.operatorWebhook?.url ?? null, secret: ctx.config.alerts.operatorWebhook?.secret ?? null }
        : { url: alert.studio?.alertSettings?.webhookUrl ?? null, secret: alert.studio?.alertSettings?.webhookSecret ?? null },
      now,
    });
  } catch (err) {
    if (err instanceof PermanentDeliveryError) {
      await ctx.db.alertDelivery.updateMany({ where: at, data: { state: "skipped", nextAttemptAt: null, lastError: short(err) } });
      return "skipped";
    }
    const giveUp = d.attempts >= ctx.config.alerts.deliveryAttempts;
    await ctx.db.alertDelivery.updateMany({
      where: at,
      data: giveUp
        ? { state: "failed", nextAttemptAt: null, lastError: short(err) }
        : { nextAttemptAt: new Date(now.getTime() + backoffMs(d.attempts)), lastError: short(err) },
    });
    ctx.log.warn({ deliveryId: d.id, channel: d.channel, attempts: d.attempts, giveUp, err: short(err) }, "alert delivery failed");
    if (giveUp) {
      await raiseAlerts(ctx, [
        {
          studioId: d.studioId,
          kind: ALERT.deliveryFailed,
          subject: d.channel,
          details: { channel: d.channel, attempts: d.attempts, lastError: short(err), deliveryId: d.id },
          escalate: true,
        },
      ]);
    }
    return giveUp ? "failed" : "retry";
  }
  await ctx.db.alertDelivery.updateMany({ where: at, data: { state: "sent", sentAt: now, nextAttemptAt: null, lastError: null } });
  await resolveAlerts(ctx, d.studioId, [openKeyOf(ALERT.deliveryFailed, d.channel)]);
  return "sent";
}

/** Sends every due message; returns the outcomes counted. */
export async function deliverDue(ctx: Ctx, transports: Transports, now: Date): Promise<Record<string, number>> {
  const counts: Record<string, number> = { sent: 0, retry: 0, failed: 0, skipped: 0 };
  for (;;) {
    const claimed = await claim(ctx, now);
    for (const d of claimed) counts[await deliverOne(ctx, transports, d, now)]! += 1;
    if (claimed.length < BATCH) return counts;
  }
}
