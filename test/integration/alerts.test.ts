// Issue 22: alerts raised by their real causes in Postgres state (a ManualClock for time), resolved
// when the cause goes away, and delivered through the outbox to a real webhook receiver on
// loopback: signed, verifiable, retried with backoff, given up with an operator alert, sent once
// by racing workers and not lost by a Redis flush. Real Postgres and Redis (in-process services).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { verifyWebhook } from "../../protocol/webhook-signature.ts";
import { ManualClock } from "../../server/clock.ts";
import type { Ctx } from "../../server/context.ts";
import { integrityQueue } from "../../server/jobs/queues.ts";
import { startWorker } from "../../server/jobs/worker.ts";
import type { Actor } from "../../server/services/audit.ts";
import { deliverDue } from "../../server/services/alerts/deliver.ts";
import { evaluateAlerts } from "../../server/services/alerts/evaluate.ts";
import { ALERT } from "../../server/services/alerts/kinds.ts";
import { resendAlert, supportQueue } from "../../server/services/alerts/queries.ts";
import { rotateWebhookSecret, updateAlertSettings } from "../../server/services/alerts/settings.ts";
import { webhookTransport } from "../../server/services/alerts/transports.ts";
import { raiseDamageAlert } from "../../server/services/integrity/alerts.ts";
import { commitAt, heartbeat, HOUR, makeDevice, makeStudio, run, webhookReceiver } from "../support/alerts.ts";
import { startInProcess, type InProcess } from "../support/in-process.ts";
import { waitFor } from "../support/integrity.ts";

const ADMIN: Actor = { id: null, role: "admin", label: "alerts test", address: null };
const MINUTE = 60_000;

describe("alerts", () => {
  let app: InProcess;
  let clock: ManualClock;
  let ctx: Ctx;
  // What a server without SMTP_URL has (e-mail is test/integration/alert-mail.test.ts).
  const transports = { webhook: webhookTransport };

  const alertsOf = (studioId: string, kind?: string) =>
    ctx.db.alert.findMany({ where: { studioId, ...(kind ? { kind } : {}) }, orderBy: { createdAt: "asc" }, include: { deliveries: true } });
  const openKinds = async (deviceId: string) =>
    (await ctx.db.alert.findMany({ where: { deviceId, resolvedAt: null }, select: { kind: true } })).map((a) => a.kind).sort();

  before(async () => {
    app = await startInProcess({ env: { SWEEP_INTERVAL_SECONDS: "0.5" } });
    clock = new ManualClock(new Date("2027-03-01T00:00:00Z"));
    ctx = { ...app.ctx, clock };
  });
  after(async () => app?.close());

  it("missed backup: raised once after the schedule's grace by racing evaluations, resolved by the next backup", async () => {
    const studioId = await makeStudio(ctx, "Missed Photo", ["owner@missed.test"]);
    const pc = await makeDevice(ctx, studioId, "front-desk");
    clock.advance(HOUR);
    const lastRun = clock.now();
    await commitAt(ctx, pc);
    await run(ctx, pc, "success");
    await heartbeat(ctx, pc); // daily: next run 24 h after this one
    // The agent keeps reporting (PC on), but the 24 h run never commits.
    clock.advance(24 * HOUR + 2 * HOUR - MINUTE);
    await heartbeat(ctx, pc, { lastRunAt: lastRun });
    await evaluateAlerts(ctx);
    assert.deepEqual(await openKinds(pc.deviceId), [], "nothing within the 2 h grace");

    clock.advance(2 * MINUTE);
    await Promise.all([evaluateAlerts(ctx), evaluateAlerts(ctx), evaluateAlerts(ctx)]);
    const missed = await alertsOf(studioId, ALERT.missedBackup);
    assert.equal(missed.length, 1, "three racing evaluations raise one alert");
    assert.deepEqual(await openKinds(pc.deviceId), [ALERT.missedBackup], "the device is neither silent nor failing");
    const details = missed[0]!.details as Record<string, unknown>;
    assert.equal(details.likelyCause, null);
    assert.equal(details.dueAt, new Date(lastRun.getTime() + 24 * HOUR).toISOString());
    assert.equal(missed[0]!.createdAt.getTime(), clock.now().getTime(), "stamped by ctx.clock");
    assert.deepEqual(
      missed[0]!.deliveries.map((d) => [d.channel, d.recipient, d.state]),
      [["email", "owner@missed.test", "pending"]],
      "planned once for the owner",
    );

    clock.advance(HOUR);
    await commitAt(ctx, pc);
    await evaluateAlerts(ctx);
    const after = await alertsOf(studioId, ALERT.missedBackup);
    assert.equal(after.length, 1);
    assert.equal(after[0]!.resolvedAt?.getTime(), clock.now().getTime(), "the new backup resolved it");
    assert.equal(after[0]!.openKey, null);
  });

  it("a device that never backs up is missed 26 hours after enrollment", async () => {
    const studioId = await makeStudio(ctx, "First Photo", ["owner@first.test"]);
    const pc = await makeDevice(ctx, studioId, "new-pc");
    clock.advance(26 * HOUR - MINUTE);
    await evaluateAlerts(ctx);
    assert.deepEqual(await openKinds(pc.deviceId), []);
    clock.advance(2 * MINUTE);
    await evaluateAlerts(ctx);
    const [alert] = await alertsOf(studioId, ALERT.missedBackup);
    assert.equal((alert!.details as Record<string, unknown>).lastBackupAt, null);
  });

  it("tells a silent device (PC off) from a failing backup, and resolves failing on a success", async () => {
    const studioId = await makeStudio(ctx, "Split Photo", ["owner@split.test"]);
    const off = await makeDevice(ctx, studioId, "pc-off");
    const failing = await makeDevice(ctx, studioId, "pc-failing");
    for (const pc of [off, failing]) {
      await commitAt(ctx, pc);
      await run(ctx, pc, "success");
      await heartbeat(ctx, pc);
    }
    for (let day = 0; day < 3; day++) {
      clock.advance(24 * HOUR);
      await run(ctx, failing, "failed");
      await heartbeat(ctx, failing, { lastResult: "failed" });
    }
    clock.advance(HOUR);
    await evaluateAlerts(ctx);
    assert.deepEqual(await openKinds(off.deviceId), [ALERT.missedBackup, ALERT.silentDevice].sort());
    assert.deepEqual(await openKinds(failing.deviceId), [ALERT.backupFailing, ALERT.missedBackup].sort());
    const cause = async (deviceId: string) =>
      ((await ctx.db.alert.findFirstOrThrow({ where: { deviceId, kind: ALERT.missedBackup } })).details as Record<string, unknown>)
        .likelyCause;
    assert.equal(await cause(off.deviceId), "silent");
    assert.equal(await cause(failing.deviceId), "failing");
    const failDetails = (await ctx.db.alert.findFirstOrThrow({ where: { deviceId: failing.deviceId, kind: ALERT.backupFailing } }))
      .details as Record<string, unknown>;
    assert.equal(failDetails.failedRuns, 3);
    assert.equal(failDetails.lastErrorCode, "SOURCE_UNREADABLE");

    clock.advance(HOUR);
    const rp = await commitAt(ctx, failing);
    await run(ctx, failing, "success", rp);
    await heartbeat(ctx, failing);
    await evaluateAlerts(ctx);
    assert.deepEqual(await openKinds(failing.deviceId), [], "a success resolves failing and missed");
    assert.deepEqual(await openKinds(off.deviceId), [ALERT.missedBackup, ALERT.silentDevice].sort());

    // Open longer than 24 h: copied to support's queue, oldest first.
    clock.advance(24 * HOUR);
    await evaluateAlerts(ctx);
    const queue = await supportQueue(ctx, { scope: "escalated", limit: 500 });
    assert.ok(queue.some((a) => a.deviceId === off.deviceId && a.kind === ALERT.silentDevice && a.escalatedAt));
    const opened = queue.map((a) => a.createdAt.getTime());
    assert.deepEqual(
      opened,
      [...opened].sort((a, b) => a - b),
      "oldest first",
    );
  });

  it("mail: every owner not opted out, at most one mail per kind per day", async () => {
    const studioId = await makeStudio(ctx, "Mail Photo", ["anna@mail.test", "ben@mail.test"]);
    await updateAlertSettings(ctx, ADMIN, studioId, { emailOptOut: ["BEN@mail.test"] });
    const a = await makeDevice(ctx, studioId, "pc-a");
    clock.advance(10 * MINUTE);
    const b = await makeDevice(ctx, studioId, "pc-b");
    clock.advance(26 * HOUR + MINUTE);
    await evaluateAlerts(ctx);
    const rows = (await alertsOf(studioId, ALERT.missedBackup)).map((x) => ({
      device: x.deviceId,
      rows: x.deliveries.map((d) => [d.recipient, d.state]),
    }));
    assert.equal(rows.length, 2);
    assert.deepEqual(rows.map((r) => r.device).sort(), [a.deviceId, b.deviceId].sort());
    assert.deepEqual(rows.flatMap((r) => r.rows).sort(), [
      ["anna@mail.test", "pending"],
      ["anna@mail.test", "suppressed"],
    ]);
    // Without SMTP_URL there is no e-mail transport: the rows say so.
    await deliverDue(ctx, transports, clock.now());
    const mail = await ctx.db.alertDelivery.findFirstOrThrow({ where: { studioId, state: { not: "suppressed" } } });
    assert.equal(mail.state, "skipped");
    assert.equal(mail.lastError, "no email transport configured");
  });

  it("webhook: signed, verifiable, a replay is refused, racing workers send it once, no chunk id leaves", async () => {
    const hook = await webhookReceiver();
    try {
      const studioId = await makeStudio(ctx, "Hook Photo", ["owner@hook.test"]);
      const pc = await makeDevice(ctx, studioId, "studio-mac");
      const { secret } = await rotateWebhookSecret(ctx, ADMIN, studioId);
      await updateAlertSettings(ctx, ADMIN, studioId, { webhookUrl: hook.url });
      const rp = await commitAt(ctx, pc);
      const chunkId = "ab".repeat(32);
      await raiseDamageAlert(ctx, studioId, rp, { damagedChunks: 2, chunkIds: [chunkId] });
      await evaluateAlerts(ctx);
      await Promise.all([deliverDue(ctx, transports, clock.now()), deliverDue(ctx, transports, clock.now())]);
      assert.equal(hook.received.length, 1, "sent once");
      const [got] = hook.received;
      const headers = {
        id: got!.headers["webhook-id"] as string,
        timestamp: got!.headers["webhook-timestamp"] as string,
        signature: got!.headers["webhook-signature"] as string,
      };
      const nowS = Math.floor(clock.now().getTime() / 1000);
      assert.equal(verifyWebhook(secret, headers, got!.body, nowS), "ok");
      assert.equal(verifyWebhook(secret, headers, got!.body, nowS + 301), "stale-timestamp", "a replay 5 minutes later is refused");
      assert.equal(verifyWebhook(secret, headers, got!.body.replace("studio-mac", "studio-pc"), nowS), "bad-signature");
      const event = JSON.parse(got!.body) as { id: string; alert: { kind: string; deviceName: string; facts: string[] } };
      assert.equal(event.id, headers.id, "the message id is the delivery's");
      assert.equal(event.alert.kind, ALERT.damaged);
      assert.equal(event.alert.deviceName, "studio-mac");
      assert.ok(event.alert.facts.includes("Damaged pieces: 2"));
      assert.ok(!got!.body.includes(chunkId), "no chunk id in the event");
      const row = await ctx.db.alertDelivery.findFirstOrThrow({ where: { studioId, channel: "webhook" } });
      assert.equal(row.state, "sent");
      assert.equal(row.id, headers.id);
    } finally {
      await hook.close();
    }
  });

  it("a receiver that is down: retried with backoff, given up after N with an operator alert, resent by support", async () => {
    const hook = await webhookReceiver();
    const c: Ctx = { ...ctx, config: { ...ctx.config, alerts: { ...ctx.config.alerts, deliveryAttempts: 3 } } };
    try {
      const studioId = await makeStudio(ctx, "Down Photo", ["owner@down.test"]);
      const pc = await makeDevice(ctx, studioId, "pc");
      await rotateWebhookSecret(ctx, ADMIN, studioId);
      await updateAlertSettings(ctx, ADMIN, studioId, { webhookUrl: hook.url });
      const rp = await commitAt(ctx, pc);
      await raiseDamageAlert(ctx, studioId, rp, { damagedChunks: 1 });
      await evaluateAlerts(c);
      const webhookRow = () => ctx.db.alertDelivery.findFirstOrThrow({ where: { studioId, channel: "webhook", event: "opened" } });

      hook.status.code = 503;
      await deliverDue(c, transports, clock.now());
      let row = await webhookRow();
      assert.deepEqual([row.state, row.attempts, row.lastError], ["pending", 1, "webhook answered HTTP 503"]);
      assert.equal(row.nextAttemptAt!.getTime(), clock.now().getTime() + MINUTE, "first retry a minute later");
      await deliverDue(c, transports, clock.now());
      assert.equal(hook.received.length, 1, "not before its time");

      clock.advance(MINUTE);
      await deliverDue(c, transports, clock.now());
      row = await webhookRow();
      assert.deepEqual([row.state, row.attempts], ["pending", 2]);
      assert.equal(row.nextAttemptAt!.getTime(), clock.now().getTime() + 2 * MINUTE, "doubling");

      clock.advance(2 * MINUTE);
      await deliverDue(c, transports, clock.now());
      row = await webhookRow();
      assert.deepEqual([row.state, row.attempts], ["failed", 3]);
      const [opAlert] = await alertsOf(studioId, ALERT.deliveryFailed);
      assert.ok(opAlert && !opAlert.resolvedAt && opAlert.escalatedAt, "an operator alert, in support's queue at once");
      assert.equal(opAlert.deliveries.length, 0, "operator alerts are not sent to the studio");
      await evaluateAlerts(c);
      assert.equal(await ctx.db.alertDelivery.count({ where: { alertId: opAlert.id } }), 0);

      hook.status.code = 200;
      const resent = await resendAlert(c, ADMIN, row.alertId);
      assert.equal(resent.deliveries, 2, "the owner's mail and the webhook");
      await deliverDue(c, transports, clock.now());
      assert.equal(hook.received.length, 4);
      assert.notEqual(hook.received[3]!.headers["webhook-id"], hook.received[0]!.headers["webhook-id"], "a resend is a new message");
      assert.ok(
        (await ctx.db.alert.findUniqueOrThrow({ where: { id: opAlert.id } })).resolvedAt,
        "a delivery that gets through resolves it",
      );
      assert.equal(await ctx.db.auditEvent.count({ where: { action: "alert.resent", target: row.alertId } }), 1, "audited");
    } finally {
      await hook.close();
    }
  });

  it("a Redis flush loses no delivery: the sweeper re-creates the jobs and the outbox row is sent once", async () => {
    const hook = await webhookReceiver();
    const queue = integrityQueue(ctx.config.redisUrl, ctx.config.redisPrefix);
    let worker: { close(): Promise<void> } | null = null;
    try {
      const studioId = await makeStudio(ctx, "Flush Photo", ["owner@flush.test"]);
      const pc = await makeDevice(ctx, studioId, "pc");
      await rotateWebhookSecret(ctx, ADMIN, studioId);
      await updateAlertSettings(ctx, ADMIN, studioId, { webhookUrl: hook.url });
      await raiseDamageAlert(ctx, studioId, await commitAt(ctx, pc), { damagedChunks: 1 });
      await evaluateAlerts(ctx); // the outbox row exists; nothing was sent
      await queue.add("alerts-deliver", { slot: 1 }, { jobId: "a-job-redis-will-lose" });

      // Only this test's keys: the Redis is shared.
      const redis = (await queue.client) as unknown as { keys(p: string): Promise<string[]>; del(...keys: string[]): Promise<number> };
      const keys = await redis.keys(`${ctx.config.redisPrefix}:*`);
      assert.ok(keys.length > 0);
      await redis.del(...keys);
      assert.equal((await redis.keys(`${ctx.config.redisPrefix}:*`)).length, 0, "Redis lost everything");

      worker = startWorker(ctx, queue);
      await waitFor("the webhook", async () => hook.received.length >= 1, 20_000);
      await new Promise((r) => setTimeout(r, 1500)); // a few more sweeps
      assert.equal(hook.received.length, 1, "sent once");
      const row = await ctx.db.alertDelivery.findFirstOrThrow({ where: { studioId, channel: "webhook" } });
      assert.equal(row.state, "sent");
    } finally {
      await worker?.close();
      await queue.close();
      await hook.close();
    }
  });
});
