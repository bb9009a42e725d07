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
//
// Operator alerts (audience "operator") go to the operators instead: every admin's e-mail and the
// operator's webhook (OPERATOR_WEBHOOK_URL), never to a studio. A "delivery_failed" alert about
// e-mail is not e-mailed (the mail server is what fails); it reaches the webhook and support's queue.
//
// A snoozed alert (snooze.ts) is neither planned nor escalated until its snooze ends.
import type { Ctx } from "../../context.ts";
import { ALERT, alertKind } from "./kinds.ts";

const BATCH = 200;
const DAY_MS = 86_400_000;
const LIVE_STATES = ["pending", "sent", "failed"];

type Tx = Parameters<Parameters<Ctx["db"]["$transaction"]>[0]>[0];

export interface PlannedRow {
  channel: "email" | "webhook";
  recipient: string;
  state: "pending" | "suppressed";
}

export interface PlannedAlert {
  id: string;
  studioId: string | null;
  kind: string;
  details?: unknown;
}

export interface PlanOptions {
  /** Apply the mail rate limit (not for a resend or a notice: a person asked, or it is news). */
  limit: boolean;
  /** OPERATOR_WEBHOOK_URL, for operator alerts. */
  operatorWebhookUrl?: string | null;
}

/** Who hears of an alert: the studio's owners and webhook, or the operators. */
async function audienceOf(tx: Tx, alert: PlannedAlert, opts: PlanOptions): Promise<{ emails: string[]; webhook: string | null }> {
  if (alertKind(alert.kind).audience === "operator") {
    const admins = await tx.user.findMany({ where: { staffRole: "admin" }, select: { email: true } });
    const failedChannel = (alert.details as { channel?: unknown } | null)?.channel;
    const mailBroken = alert.kind === ALERT.deliveryFailed && failedChannel === "email";
    return { emails: mailBroken ? [] : admins.map((a) => a.email.toLowerCase()), webhook: opts.operatorWebhookUrl ?? null };
  }
  if (!alert.studioId) return { emails: [], webhook: null };
  const [members, settings] = await Promise.all([
    tx.studioMember.findMany({ where: { studioId: alert.studioId }, select: { user: { select: { email: true } } } }),
    tx.alertSettings.findUnique({ where: { studioId: alert.studioId } }),
  ]);
  const digest = alertKind(alert.kind).digest === true;
  const optOut = new Set((digest ? settings?.digestOptOut : settings?.emailOptOut) ?? []);
  return {
    emails: members.map((m) => m.user.email.toLowerCase()).filter((e) => !optOut.has(e)),
    webhook: !digest && settings?.webhookUrl && settings.webhookSecret ? settings.webhookUrl : null,
  };
}

/** The rows one alert's `event` needs now. */
async function rowsFor(tx: Tx, alert: PlannedAlert, now: Date, opts: PlanOptions): Promise<PlannedRow[]> {
  const { emails, webhook } = await audienceOf(tx, alert, opts);
  const limit = opts.limit;
  const rows: PlannedRow[] = [];
  for (const email of new Set(emails)) {
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
  if (webhook) rows.push({ channel: "webhook", recipient: webhook, state: "pending" });
  return rows;
}

/** Writes the rows of `event` for one alert, under the studio's (or the operators') planning lock. */
export async function writeDeliveries(tx: Tx, alert: PlannedAlert, event: string, now: Date, opts: PlanOptions): Promise<number> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`alert-plan:${alert.studioId ?? "operators"}`}))`;
  const rows = await rowsFor(tx, alert, now, opts);
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
      where: { resolvedAt: null, notifiedAt: null, ...notSnoozed(now) },
      orderBy: { createdAt: "asc" },
      take: BATCH,
      select: { id: true, studioId: true, kind: true, details: true },
    });
    for (const alert of todo) {
      await ctx.db.$transaction(async (tx) => {
        const claimed = await tx.alert.updateMany({
          where: { id: alert.id, notifiedAt: null, resolvedAt: null, ...notSnoozed(now) },
          // A snooze that ended before it was ever sent is over now: this is its message (snooze.ts).
          data: { notifiedAt: now, snoozedUntil: null },
        });
        if (!claimed.count) return;
        alerts++;
        rows += await writeDeliveries(tx, alert, "opened", now, {
          limit: true,
          operatorWebhookUrl: ctx.config.alerts.operatorWebhook?.url ?? null,
        });
      });
    }
    if (todo.length < BATCH) return { alerts, rows };
  }
}

/** Alerts not snoozed at `now` (never snoozed, or the snooze is over). */
export const notSnoozed = (now: Date) => ({ OR: [{ snoozedUntil: null }, { snoozedUntil: { lte: now } }] });

/** Alerts open longer than ALERT_ESCALATE_HOURS are copied to support's queue (escalatedAt). */
export async function escalate(ctx: Ctx, now: Date): Promise<number> {
  const r = await ctx.db.alert.updateMany({
    where: {
      resolvedAt: null,
      escalatedAt: null,
      createdAt: { lte: new Date(now.getTime() - ctx.config.alerts.escalateMs) },
      ...notSnoozed(now),
    },
    data: { escalatedAt: now },
  });
  if (r.count) ctx.log.warn({ escalated: r.count }, "alerts open too long: copied to support's queue");
  return r.count;
}
