// Writing an alert's messages to the outbox (AlertDelivery). Each open alert not planned yet is
// planned in one transaction that first claims it (notifiedAt set where still null), so two
// workers racing plan it once; rows are unique on (alert, event, channel, recipient), so a replay
// adds nothing. Recipients: every owner of the studio (StudioMember) not opted out, and the
// studio's webhook if one is set. Operator alerts are not sent to the studio: support's queue
// lists them (queries.ts).
//
// Rate limit: at most one mail per alert kind per recipient per day. A second alert of the same
// kind within the day (a second device missing its backup) gets a row in state "suppressed",
// visible in the delivery log; the first mail's portal link shows every open alert. Planning for
// one studio is serialized by a transaction-scoped advisory lock, so the check cannot race.
// Webhooks are not limited: a machine receiver wants every event.
import type { Ctx } from "../../context.ts";
import { alertKind } from "./kinds.ts";

const BATCH = 200;
const DAY_MS = 86_400_000;
const LIVE_STATES = ["pending", "sent", "failed"];

type Tx = Parameters<Parameters<Ctx["db"]["$transaction"]>[0]>[0];

export interface PlannedRow {
  channel: "email" | "webhook";
  recipient: string;
  state: "pending" | "suppressed";
}

/** The rows one alert's `event` needs now; `limit`: apply the mail rate limit. */
async function rowsFor(tx: Tx, alert: { id: string; studioId: string; kind: string }, now: Date, limit: boolean): Promise<PlannedRow[]> {
  const [members, settings] = await Promise.all([
    tx.studioMember.findMany({ where: { studioId: alert.studioId }, select: { user: { select: { email: true } } } }),
    tx.alertSettings.findUnique({ where: { studioId: alert.studioId } }),
  ]);
  const optOut = new Set(settings?.emailOptOut ?? []);
  const rows: PlannedRow[] = [];
  for (const email of new Set(members.map((m) => m.user.email.toLowerCase()))) {
    if (optOut.has(email)) continue;
    const recent =
      limit &&
      (await tx.alertDelivery.count({
        where: {
          studioId: alert.studioId,
          channel: "email",
          recipient: email,
          state: { in: LIVE_STATES },
          createdAt: { gt: new Date(now.getTime() - DAY_MS) },
          alert: { kind: alert.kind },
        },
      })) > 0;
    rows.push({ channel: "email", recipient: email, state: recent ? "suppressed" : "pending" });
  }
  if (settings?.webhookUrl && settings.webhookSecret) rows.push({ channel: "webhook", recipient: settings.webhookUrl, state: "pending" });
  return rows;
}

/** Writes the rows of `event` for one alert, under the studio's planning lock. */
export async function writeDeliveries(
  tx: Tx,
  alert: { id: string; studioId: string; kind: string },
  event: string,
  now: Date,
  opts: { limit: boolean },
): Promise<number> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`alert-plan:${alert.studioId}`}))`;
  const rows = await rowsFor(tx, alert, now, opts.limit);
  const r = await tx.alertDelivery.createMany({
    data: rows.map((row) => ({
      alertId: alert.id,
      studioId: alert.studioId,
      event,
      channel: row.channel,
      recipient: row.recipient,
      state: row.state,
      nextAttemptAt: row.state === "pending" ? now : null,
      createdAt: now,
    })),
    skipDuplicates: true,
  });
  return r.count;
}

/** Plans the open alerts not planned yet; returns how many alerts and rows were written. */
export async function planDeliveries(ctx: Ctx, now: Date): Promise<{ alerts: number; rows: number }> {
  let alerts = 0;
  let rows = 0;
  for (;;) {
    const todo = await ctx.db.alert.findMany({
      where: { resolvedAt: null, notifiedAt: null },
      orderBy: { createdAt: "asc" },
      take: BATCH,
      select: { id: true, studioId: true, kind: true },
    });
    for (const alert of todo) {
      await ctx.db.$transaction(async (tx) => {
        const claimed = await tx.alert.updateMany({
          where: { id: alert.id, notifiedAt: null, resolvedAt: null },
          data: { notifiedAt: now },
        });
        if (!claimed.count) return;
        alerts++;
        if (alertKind(alert.kind).audience !== "studio") return;
        rows += await writeDeliveries(tx, alert, "opened", now, { limit: true });
      });
    }
    if (todo.length < BATCH) return { alerts, rows };
  }
}

/** Alerts open longer than ALERT_ESCALATE_HOURS are copied to support's queue (escalatedAt). */
export async function escalate(ctx: Ctx, now: Date): Promise<number> {
  const r = await ctx.db.alert.updateMany({
    where: { resolvedAt: null, escalatedAt: null, createdAt: { lte: new Date(now.getTime() - ctx.config.alerts.escalateMs) } },
    data: { escalatedAt: now },
  });
  if (r.count) ctx.log.warn({ escalated: r.count }, "alerts open too long: copied to support's queue");
  return r.count;
}
