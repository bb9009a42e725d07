// Alerts raised from the quota and from retention's pause signals (evaluate-studio-signals.ts):
// raised by the evaluation from Postgres state, planned for the owners, resolved when the state
// clears. Real Postgres (in-process services), a ManualClock.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ManualClock } from "../../server/clock.ts";
import type { Ctx } from "../../server/context.ts";
import { evaluateAlerts } from "../../server/services/alerts/evaluate.ts";
import { SIGNAL_ALERT } from "../../server/services/alerts/evaluate-studio-signals.ts";
import { makeDevice, makeStudio } from "../support/alerts.ts";
import { startInProcess, type InProcess } from "../support/in-process.ts";

describe("alerts from quota and retention signals", () => {
  let app: InProcess;
  let ctx: Ctx;
  const clock = new ManualClock(new Date("2027-06-01T00:00:00Z"));

  before(async () => {
    app = await startInProcess({ env: { QUOTA_GRACE_PERCENT: "10" } });
    ctx = { ...app.ctx, clock };
  });
  after(async () => app?.close());

  const open = (studioId: string, kind: string) =>
    ctx.db.alert.findMany({ where: { studioId, kind, resolvedAt: null }, include: { deliveries: true } });

  it("quota: one alert per level reached, planned for the owner, resolved when usage falls back", async () => {
    const studioId = await makeStudio(ctx, "Quota Photo", ["owner@quota.test"]);
    await ctx.db.studio.update({ where: { id: studioId }, data: { quotaBytes: 1_000_000n, storedBytes: 850_000n } });
    await evaluateAlerts(ctx);
    let alerts = await open(studioId, SIGNAL_ALERT.quota);
    assert.deepEqual(
      alerts.map((a) => [a.openKey, (a.details as { percent: number }).percent]),
      [[`${SIGNAL_ALERT.quota}:warn80`, 85]],
    );
    assert.deepEqual(
      alerts[0]!.deliveries.map((d) => [d.channel, d.recipient]),
      [["email", "owner@quota.test"]],
    );

    clock.advance(60_000);
    await ctx.db.studio.update({ where: { id: studioId }, data: { storedBytes: 960_000n } });
    await evaluateAlerts(ctx);
    alerts = await open(studioId, SIGNAL_ALERT.quota);
    assert.deepEqual(
      alerts.map((a) => a.openKey),
      [`${SIGNAL_ALERT.quota}:warn95`],
      "95 % replaces 80 %: the studio hears again",
    );

    await ctx.db.studio.update({ where: { id: studioId }, data: { storedBytes: 400_000n } });
    await evaluateAlerts(ctx);
    assert.equal((await open(studioId, SIGNAL_ALERT.quota)).length, 0, "back under 80 %: resolved");
  });

  it("a suspicious-change signal is an alert naming the device until a person closes it", async () => {
    const studioId = await makeStudio(ctx, "Signal Photo", ["owner@signal.test"]);
    const pc = await makeDevice(ctx, studioId, "reception");
    const signal = await ctx.db.retentionSignal.create({
      data: {
        studioId,
        deviceId: pc.deviceId,
        kind: "suspicious-change",
        since: clock.now(),
        openedAt: clock.now(),
        details: { newBytes: 280_000_000, referencedBytes: 300_000_000 },
      },
    });
    await Promise.all([evaluateAlerts(ctx), evaluateAlerts(ctx)]);
    const alerts = await open(studioId, SIGNAL_ALERT.suspiciousChange);
    assert.equal(alerts.length, 1, "two racing evaluations raise one alert");
    assert.equal(alerts[0]!.deviceId, pc.deviceId);
    assert.equal((alerts[0]!.details as { newBytes: number }).newBytes, 280_000_000);

    await ctx.db.retentionSignal.update({ where: { id: signal.id }, data: { closedAt: clock.now(), closedBy: "test" } });
    await evaluateAlerts(ctx);
    assert.equal((await open(studioId, SIGNAL_ALERT.suspiciousChange)).length, 0, "closed signal: resolved");
  });
});
