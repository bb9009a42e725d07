// Issue 22, snooze: an owner snoozes an open alert (a PC on holiday) for a bounded time, audited;
// meanwhile nothing is sent and it is not escalated; when the snooze ends and the cause is still
// there, its messages go out again (to a real webhook receiver on loopback); a cause that went away
// during the snooze sends nothing. Owners cannot mute operator alerts; support can. Real Postgres,
// a ManualClock for time.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ManualClock } from "../../server/clock.ts";
import type { Ctx } from "../../server/context.ts";
import { AppError } from "../../server/errors.ts";
import type { Actor } from "../../server/services/audit.ts";
import { deliverDue } from "../../server/services/alerts/deliver.ts";
import { evaluateAlerts } from "../../server/services/alerts/evaluate.ts";
import { ALERT } from "../../server/services/alerts/kinds.ts";
import { raiseAlerts } from "../../server/services/alerts/raise.ts";
import { rotateWebhookSecret, updateAlertSettings } from "../../server/services/alerts/settings.ts";
import { snoozeAlert } from "../../server/services/alerts/snooze.ts";
import { webhookTransport } from "../../server/services/alerts/transports.ts";
import { commitAt, HOUR, makeDevice, makeStudio, webhookReceiver } from "../support/alerts.ts";
import { startInProcess, type InProcess } from "../support/in-process.ts";

const ADMIN: Actor = { id: null, role: "admin", label: "snooze test", address: null };
const SUPPORT: Actor = { id: null, role: "support", label: "sam@datasafe.test", address: null };
const owner = (email: string): Actor => ({ id: null, role: "owner", label: email, address: null });
const transports = { webhook: webhookTransport };

const code = (e: unknown) => (e instanceof AppError ? e.code : String(e));

describe("snoozing an alert", () => {
  let app: InProcess;
  let ctx: Ctx;
  let clock: ManualClock;
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;

  before(async () => {
    app = await startInProcess();
    clock = new ManualClock(new Date("2027-06-01T00:00:00Z"));
    ctx = { ...app.ctx, clock };
    hook = await webhookReceiver();
  });
  after(async () => {
    await app?.close();
    await hook?.close();
  });

  /** A studio whose one PC never backed up, its webhook set, and its missed-backup alert open and sent. */
  async function missedAndSent(name: string) {
    const studioId = await makeStudio(ctx, name, [`owner@${name.toLowerCase().replace(/ /g, "-")}.test`]);
    const pc = await makeDevice(ctx, studioId, "holiday-pc");
    await rotateWebhookSecret(ctx, ADMIN, studioId);
    await updateAlertSettings(ctx, ADMIN, studioId, { webhookUrl: hook.url });
    clock.advance(26 * HOUR + 60_000);
    await evaluateAlerts(ctx);
    await deliverDue(ctx, transports, clock.now());
    const alert = await ctx.db.alert.findFirstOrThrow({ where: { deviceId: pc.deviceId, kind: ALERT.missedBackup, resolvedAt: null } });
    return { studioId, pc, alert };
  }
  const webhooksFor = (alertId: string) =>
    hook.received.filter((r) => (JSON.parse(r.body) as { alert: { id: string } }).alert.id === alertId);

  it("nothing is sent or escalated while snoozed; still open at its end, it is sent again; audited", async () => {
    const { studioId, alert } = await missedAndSent("Holiday Photo");
    assert.equal(webhooksFor(alert.id).length, 1, "sent once when it opened");

    const snoozed = await snoozeAlert(ctx, owner("owner@holiday-photo.test"), { alertId: alert.id, studioId, hours: 72 });
    const until = snoozed.snoozedUntil!.getTime();
    assert.equal(until, clock.now().getTime() + 72 * HOUR);
    const audit = await ctx.db.auditEvent.findFirstOrThrow({ where: { action: "alert.snoozed", target: alert.id } });
    assert.equal(audit.actorRole, "owner");
    assert.equal((audit.details as { hours: number }).hours, 72);

    // Past ALERT_ESCALATE_HOURS (24 h), still within the snooze: not escalated, nothing sent.
    clock.advance(48 * HOUR);
    await evaluateAlerts(ctx);
    await deliverDue(ctx, transports, clock.now());
    let row = await ctx.db.alert.findUniqueOrThrow({ where: { id: alert.id } });
    assert.equal(row.escalatedAt, null, "not escalated while snoozed");
    assert.equal(webhooksFor(alert.id).length, 1, "nothing sent while snoozed");

    // The snooze ends; the PC still has not backed up: the alert is sent again, once, and escalates.
    clock.advance(24 * HOUR + 60_000);
    await Promise.all([evaluateAlerts(ctx), evaluateAlerts(ctx)]);
    await deliverDue(ctx, transports, clock.now());
    row = await ctx.db.alert.findUniqueOrThrow({ where: { id: alert.id } });
    assert.equal(row.snoozedUntil, null);
    assert.ok(row.escalatedAt, "escalated once the snooze is over");
    assert.equal(webhooksFor(alert.id).length, 2, "sent again once, by racing evaluations");
    const events = (await ctx.db.alertDelivery.findMany({ where: { alertId: alert.id, channel: "webhook" } })).map((d) => d.event).sort();
    assert.deepEqual(events, ["opened", `snooze-ended-${until}`]);
  });

  it("a cause that goes away during the snooze sends nothing at its end", async () => {
    const { studioId, pc, alert } = await missedAndSent("Back Photo");
    await snoozeAlert(ctx, owner("owner@back-photo.test"), { alertId: alert.id, studioId, hours: 24 });
    clock.advance(HOUR);
    await commitAt(ctx, pc);
    await evaluateAlerts(ctx);
    clock.advance(24 * HOUR);
    await evaluateAlerts(ctx);
    await deliverDue(ctx, transports, clock.now());
    assert.ok((await ctx.db.alert.findUniqueOrThrow({ where: { id: alert.id } })).resolvedAt, "resolved by the backup");
    assert.equal(webhooksFor(alert.id).length, 1, "only the first message");
  });

  it("bounded, only open alerts, owners only their studio's and not operator alerts; support may", async () => {
    const { studioId, alert } = await missedAndSent("Rules Photo");
    const other = await makeStudio(ctx, "Other Photo", ["owner@other-photo.test"]);
    const me = owner("owner@rules-photo.test");
    await assert.rejects(snoozeAlert(ctx, me, { alertId: alert.id, studioId, hours: 14 * 24 + 1 }), (e) => code(e) === "VALIDATION_FAILED");
    await assert.rejects(
      snoozeAlert(ctx, owner("owner@other-photo.test"), { alertId: alert.id, studioId: other, hours: 1 }),
      (e) => code(e) === "NOT_FOUND",
      "another studio's alert is not found",
    );

    await raiseAlerts(ctx, [{ studioId, kind: ALERT.deliveryFailed, subject: "webhook", details: { channel: "webhook" }, escalate: true }]);
    const op = await ctx.db.alert.findFirstOrThrow({ where: { studioId, kind: ALERT.deliveryFailed } });
    await assert.rejects(snoozeAlert(ctx, me, { alertId: op.id, studioId, hours: 1 }), (e) => code(e) === "FORBIDDEN");
    const bySupport = await snoozeAlert(ctx, SUPPORT, { alertId: op.id, hours: 2 });
    assert.ok(bySupport.snoozedUntil);

    // hours 0 ends a snooze now; a resolved alert cannot be snoozed.
    await snoozeAlert(ctx, me, { alertId: alert.id, studioId, hours: 5 });
    const woken = await snoozeAlert(ctx, me, { alertId: alert.id, studioId, hours: 0 });
    assert.equal(woken.snoozedUntil?.getTime(), clock.now().getTime());
    await ctx.db.alert.update({ where: { id: alert.id }, data: { resolvedAt: clock.now(), openKey: null } });
    await assert.rejects(snoozeAlert(ctx, me, { alertId: alert.id, studioId, hours: 1 }), (e) => code(e) === "ALERT_RESOLVED");
    assert.equal(await ctx.db.auditEvent.count({ where: { action: "alert.snoozed", studioId } }), 3);
  });

  it("an alert snoozed before it was ever sent is sent once, when the snooze ends", async () => {
    const studioId = await makeStudio(ctx, "Early Photo", ["owner@early-photo.test"]);
    await rotateWebhookSecret(ctx, ADMIN, studioId);
    await updateAlertSettings(ctx, ADMIN, studioId, { webhookUrl: hook.url });
    const rp = await commitAt(ctx, await makeDevice(ctx, studioId, "pc"));
    await raiseAlerts(ctx, [{ studioId, kind: ALERT.damaged, subject: rp, restorePointId: rp, details: { damagedChunks: 1 } }]);
    const alert = await ctx.db.alert.findFirstOrThrow({ where: { studioId, kind: ALERT.damaged } });
    await snoozeAlert(ctx, SUPPORT, { alertId: alert.id, studioId, hours: 2 });
    await evaluateAlerts(ctx);
    await deliverDue(ctx, transports, clock.now());
    assert.equal(webhooksFor(alert.id).length, 0, "not planned while snoozed");
    clock.advance(2 * HOUR);
    await evaluateAlerts(ctx);
    await evaluateAlerts(ctx);
    await deliverDue(ctx, transports, clock.now());
    assert.equal(webhooksFor(alert.id).length, 1);
    const events = (await ctx.db.alertDelivery.findMany({ where: { alertId: alert.id, channel: "webhook" } })).map((d) => d.event);
    assert.deepEqual(events, ["opened"], "planned as it opened, not as a re-send");
  });
});
