// Issue 22, operator alerts: raised by their real causes and delivered to the operators (every
// admin's e-mail through a real SMTP server, the operator's signed webhook on loopback), never to a
// studio: a job that fails for good in the real worker (job_failing), the blob store's directory
// gone (storage_errors, by the store's own readiness probe), a job waiting in a real BullMQ queue
// that no worker takes (jobs_stuck), and a studio not scrubbed for two intervals (scrub_behind).
// Each resolves when its cause goes away. Real Postgres, Redis and SMTP; a ManualClock for time.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { verifyWebhook } from "../../protocol/webhook-signature.ts";
import { ManualClock } from "../../server/clock.ts";
import type { Ctx } from "../../server/context.ts";
import { integrityQueue, queueProbe } from "../../server/jobs/queues.ts";
import { startWorker } from "../../server/jobs/worker.ts";
import { deliverDue } from "../../server/services/alerts/deliver.ts";
import { evaluateAlerts } from "../../server/services/alerts/evaluate.ts";
import { OPS_ALERT } from "../../server/services/alerts/evaluate-operations.ts";
import { ALERT } from "../../server/services/alerts/kinds.ts";
import { raiseAlerts } from "../../server/services/alerts/raise.ts";
import { defaultTransports } from "../../server/services/alerts/transports.ts";
import { recordJobOutcome } from "../../server/services/job-outcomes.ts";
import { LocalBlobStore } from "../../server/storage/index.ts";
import { HOUR, makeStudio, webhookReceiver } from "../support/alerts.ts";
import { startInProcess, type InProcess } from "../support/in-process.ts";
import { waitFor } from "../support/integrity.ts";
import { freePort } from "../support/server.ts";
import { plainText, smtpServer, type Mail } from "../support/smtp.ts";

const MINUTE = 60_000;
const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const day = (d: Date) => d.toISOString().slice(0, 10);

describe("operator alerts", () => {
  let app: InProcess;
  let ctx: Ctx;
  let clock: ManualClock;
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  let smtp: { close(): Promise<void> };
  const inbox: Mail[] = [];

  const open = (kind: string) => ctx.db.alert.findMany({ where: { kind, resolvedAt: null }, include: { deliveries: true } });

  before(async () => {
    hook = await webhookReceiver();
    const port = await freePort();
    smtp = await smtpServer(port, inbox);
    app = await startInProcess({
      env: {
        SMTP_URL: `smtp://127.0.0.1:${port}`,
        ALERT_MAIL_FROM: "DataSafe <alerts@datasafe.test>",
        OPERATOR_WEBHOOK_URL: hook.url,
        OPERATOR_WEBHOOK_SECRET: SECRET,
        ALERT_JOB_STUCK_MINUTES: "30",
        // The worker's sweeper runs once at its start, not again during a test.
        SWEEP_INTERVAL_SECONDS: "3600",
      },
    });
    // Real time: BullMQ stamps jobs with the wall clock, and the stuck check compares with it.
    clock = new ManualClock(new Date());
    ctx = { ...app.ctx, clock };
    await ctx.db.user.create({ data: { email: "ops@datasafe.test", staffRole: "admin" } });
    await makeStudio(ctx, "Quiet Photo", ["owner@quiet.test"]);
  });
  after(async () => {
    await app?.close();
    await hook?.close();
    await smtp?.close();
  });

  it("a job that fails for good in the worker: job_failing to the admins' mail and the operator webhook, resolved by its next success", async () => {
    const queue = integrityQueue(ctx.config.redisUrl, ctx.config.redisPrefix);
    const worker = startWorker(ctx, queue);
    try {
      // The sweeper's first jobs (one of them records yesterday's usage) run and succeed first.
      await waitFor("the sweeper's usage job", () =>
        ctx.db.jobOutcome.findFirst({ where: { name: "record-usage", lastSuccessAt: { not: null } } }),
      );
      clock.advance(MINUTE);
      // Today is not over: recording its usage is refused, for good (one attempt).
      await queue.add("record-usage", { day: day(clock.now()) }, { attempts: 1, jobId: "usage-too-early" });
      await waitFor("the failure recorded", () => ctx.db.jobOutcome.findFirst({ where: { name: "record-usage", failures: 1 } }));
      await evaluateAlerts(ctx);
      const [alert] = await open(OPS_ALERT.jobFailing);
      assert.ok(alert, "job_failing is open");
      assert.equal(alert.studioId, null, "about the deployment, no studio");
      assert.ok(alert.escalatedAt, "in support's queue at once");
      assert.equal((alert.details as { job: string }).job, "record-usage");
      assert.deepEqual(alert.deliveries.map((d) => [d.channel, d.recipient]).sort(), [
        ["email", "ops@datasafe.test"],
        ["webhook", hook.url],
      ]);

      await deliverDue(ctx, defaultTransports(ctx.config), clock.now());
      const mail = inbox.find((m) => m.to.includes("ops@datasafe.test"));
      assert.ok(mail, "the admin got the mail");
      const text = plainText(mail.raw);
      assert.match(text, /DataSafe operations: a background job keeps failing/);
      assert.match(text, /Job: record-usage/);
      assert.match(text, /is not over yet/);
      assert.ok(!inbox.some((m) => m.to.includes("owner@quiet.test")), "nothing to a studio");
      const [got] = hook.received;
      assert.ok(got);
      const nowS = Math.floor(clock.now().getTime() / 1000);
      const headers = {
        id: got.headers["webhook-id"] as string,
        timestamp: got.headers["webhook-timestamp"] as string,
        signature: got.headers["webhook-signature"] as string,
      };
      assert.equal(verifyWebhook(SECRET, headers, got.body, nowS), "ok", "signed with OPERATOR_WEBHOOK_SECRET");
      assert.equal((JSON.parse(got.body) as { alert: { kind: string; studioId: null } }).alert.studioId, null);

      clock.advance(MINUTE);
      const yesterday = day(new Date(clock.now().getTime() - 24 * HOUR));
      await queue.add("record-usage", { day: yesterday }, { attempts: 1, jobId: "usage-ok" });
      await waitFor("the success recorded", () => ctx.db.jobOutcome.findFirst({ where: { name: "record-usage", failures: 0 } }));
      await evaluateAlerts(ctx);
      assert.equal((await open(OPS_ALERT.jobFailing)).length, 0, "resolved by the next success");
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it("the blob store gone: storage_errors by its readiness probe, and a job that failed on storage is named in it; resolved when it is back", async () => {
    await rm(ctx.config.blobDir, { recursive: true, force: true });
    await evaluateAlerts(ctx);
    let [alert] = await open(OPS_ALERT.storageErrors);
    assert.ok(alert, "storage_errors is open");
    const details = alert.details as { probe: string; store: string };
    assert.equal(details.probe, "storage_unavailable");
    assert.equal(alert.studioId, null);
    assert.equal(alert.deliveries.length, 2, "the admin's mail and the operator webhook");

    // A job that failed on the store (the error the store itself throws) keeps it open after the
    // store is back, until that job succeeds; it counts here, not as job_failing.
    const storeError = await new LocalBlobStore(ctx.config.blobDir).ping().catch((e: unknown) => e);
    clock.advance(MINUTE);
    await recordJobOutcome(ctx, { name: "scrub-studio", scope: null }, storeError);
    await mkdir(ctx.config.blobDir, { recursive: true });
    await evaluateAlerts(ctx);
    assert.deepEqual(
      (await open(OPS_ALERT.storageErrors)).map((a) => a.id),
      [alert.id],
      "the same alert stays open",
    );
    assert.equal((await open(OPS_ALERT.jobFailing)).length, 0);
    clock.advance(MINUTE);
    await recordJobOutcome(ctx, { name: "scrub-studio", scope: null }, null);
    await evaluateAlerts(ctx);
    assert.equal((await open(OPS_ALERT.storageErrors)).length, 0, "resolved: the probe answers and the job succeeded");

    // The store answers the probe, but a job fails on it (a bucket policy refusing writes, say).
    clock.advance(MINUTE);
    await recordJobOutcome(ctx, { name: "collect-studio", scope: null }, storeError);
    await evaluateAlerts(ctx);
    [alert] = await open(OPS_ALERT.storageErrors);
    assert.ok(alert);
    assert.deepEqual(alert.details, {
      store: ctx.blobs.name,
      probe: "ok",
      probeError: null,
      failingJobs: ["collect-studio"],
      codes: ["storage_unavailable"],
      lastError: (storeError as Error).message,
    });
    clock.advance(MINUTE);
    await recordJobOutcome(ctx, { name: "collect-studio", scope: null }, null);
    await evaluateAlerts(ctx);
    assert.equal((await open(OPS_ALERT.storageErrors)).length, 0);
  });

  it("a job waiting in the queue longer than ALERT_JOB_STUCK_MINUTES (no worker takes it): jobs_stuck, resolved once it is gone", async () => {
    const queue = integrityQueue(ctx.config.redisUrl, `${ctx.config.redisPrefix}-stuck`);
    try {
      await queue.add("expire-runs", { slot: 1 }, { jobId: "nobody-takes-me" });
      const probe = { queue: queueProbe(queue) };
      const later = (ms: number): Ctx => ({ ...ctx, clock: new ManualClock(new Date(Date.now() + ms)) });
      await evaluateAlerts(later(29 * MINUTE), probe);
      assert.equal((await open(OPS_ALERT.jobsStuck)).length, 0, "not yet");
      await evaluateAlerts(later(31 * MINUTE), probe);
      const [alert] = await open(OPS_ALERT.jobsStuck);
      assert.ok(alert);
      assert.deepEqual((alert.details as { names: string[]; waiting: number }).names, ["expire-runs"]);
      assert.equal((alert.details as { waiting: number }).waiting, 1);

      await queue.obliterate({ force: true });
      await evaluateAlerts(later(32 * MINUTE), probe);
      assert.equal((await open(OPS_ALERT.jobsStuck)).length, 0, "resolved: nothing waits");
    } finally {
      await queue.close();
    }
  });

  it("delivery_failed reaches the operators, but not by the channel that fails", async () => {
    const studioId = await makeStudio(ctx, "Failing Mail Photo", ["owner@failing-mail.test"]);
    await raiseAlerts(ctx, [
      { studioId, kind: ALERT.deliveryFailed, subject: "email", details: { channel: "email", attempts: 8 }, escalate: true },
      { studioId, kind: ALERT.deliveryFailed, subject: "webhook", details: { channel: "webhook", attempts: 8 }, escalate: true },
    ]);
    await evaluateAlerts(ctx);
    const rows = async (channel: string) =>
      (await ctx.db.alertDelivery.findMany({ where: { studioId, alert: { details: { path: ["channel"], equals: channel } } } }))
        .map((d) => [d.channel, d.recipient])
        .sort();
    assert.deepEqual(await rows("email"), [["webhook", hook.url]], "mail failing: not e-mailed, the operator webhook only");
    assert.deepEqual(await rows("webhook"), [
      ["email", "ops@datasafe.test"],
      ["webhook", hook.url],
    ]);
  });

  it("a studio not scrubbed for two scrub intervals: scrub_behind, resolved by its scrub", async () => {
    const studioId = await makeStudio(ctx, "Unscrubbed Photo", ["owner@unscrubbed.test"]);
    const interval = ctx.config.integrity.scrubIntervalMs;
    await ctx.db.studio.update({ where: { id: studioId }, data: { scrubbedAt: new Date(clock.now().getTime() - 3 * interval) } });
    // No studio to be unique with: the partial unique index keeps racing evaluations to one alert.
    await Promise.all([evaluateAlerts(ctx), evaluateAlerts(ctx), evaluateAlerts(ctx)]);
    const opened = await open(OPS_ALERT.scrubBehind);
    assert.equal(opened.length, 1, "three racing evaluations open one alert");
    const [alert] = opened;
    assert.ok(alert);
    assert.equal((alert.details as { studios: number }).studios, 1);
    await ctx.db.studio.update({ where: { id: studioId }, data: { scrubbedAt: clock.now() } });
    await evaluateAlerts(ctx);
    assert.equal((await open(OPS_ALERT.scrubBehind)).length, 0);
  });
});
