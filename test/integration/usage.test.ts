// Daily usage rows (server/services/usage.ts, jobs/tasks/record-usage.ts) against the real
// Postgres and Redis, over simulated days (ManualClock): one row per studio per ended day, written
// once whatever re-runs, with that day's uploads; the sweeper adds the job for the last complete
// day; set-quota is audited and the rows carry the quota in force.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { ManualClock } from "../../server/clock.ts";
import type { Ctx } from "../../server/context.ts";
import { integrityQueue, type IntegrityQueue } from "../../server/jobs/queues.ts";
import { sweepOnce } from "../../server/jobs/sweeper.ts";
import { recordUsageTask } from "../../server/jobs/tasks/record-usage.ts";
import { OPERATOR } from "../../server/services/audit.ts";
import { storePack, type Uploader } from "../../server/services/packs.ts";
import { currentUsage, recordUsageDay, setQuota, usageDays } from "../../server/services/usage.ts";
import { startInProcess, type InProcess } from "../support/in-process.ts";
import { committedRestorePoint } from "../support/restore-points.ts";
import { enrollTestDevice, newTestStudio } from "../support/studio.ts";

const DAY = 86_400_000;

async function relay(ctx: Ctx, who: Uploader, size: number): Promise<void> {
  const data = randomBytes(size);
  const table = [{ id: randomBytes(32).toString("hex"), size, sha256: createHash("sha256").update(data).digest("hex") }];
  await storePack(ctx, who, table, data);
}

describe("daily usage rows over simulated days", () => {
  let s: InProcess;
  let queue: IntegrityQueue;
  let a: Uploader;
  let b: Uploader;
  // Ahead of the real time, so that the studios made now exist on every simulated day.
  const clock = new ManualClock(new Date(Date.UTC(2031, 0, 10, 9, 0)));
  let ctx: Ctx;

  before(async () => {
    s = await startInProcess();
    ctx = { ...s.ctx, clock };
    queue = integrityQueue(ctx.config.redisUrl, ctx.config.redisPrefix);
    for (const name of ["A", "B"]) {
      const studio = await newTestStudio(s.ctx, `Usage ${name}`);
      const device = await enrollTestDevice(s.ctx, studio);
      const who = { studioId: studio.studioId, deviceId: device.deviceId, sessionId: randomUUID() };
      if (name === "A") a = who;
      else b = who;
    }
  });
  after(async () => {
    await queue?.close();
    await s?.close();
  });

  it("records each ended day once, with that day's uploads, whatever the re-runs", async () => {
    await relay(ctx, a, 1000);
    await relay(ctx, a, 500);
    await relay(ctx, b, 70);
    await assert.rejects(recordUsageDay(ctx, "2031-01-10"), /not over yet/, "today is not over");

    // The sweeper (Redis may have lost everything) adds the job for the last complete day.
    clock.set(new Date(Date.UTC(2031, 0, 11, 0, 5)));
    await sweepOnce(ctx, queue);
    const job = await queue.getJob("record-usage-2031-01-10");
    assert.deepEqual(job?.data, { day: "2031-01-10" });
    const first = await recordUsageTask(ctx, job!.data as { day: string });
    assert.equal(first.recorded, 2, "both studios");
    const day1 = await usageDays(ctx, { studioId: a.studioId, from: "2031-01-10", to: "2031-01-10" });
    assert.deepEqual(day1, [
      {
        studioId: a.studioId,
        day: "2031-01-10",
        storedBytes: 1500,
        quotaBytes: null,
        chunks: 2,
        restorePoints: 0,
        uploadedBytes: 1500,
        recordedAt: "2031-01-11T00:05:00.000Z",
      },
    ]);

    // Later the same day: more uploads, a re-run (another worker, a re-created job): nothing changes.
    await relay(ctx, a, 250);
    clock.advance(3_600_000);
    assert.equal((await recordUsageDay(ctx, "2031-01-10")).recorded, 0);
    assert.equal((await recordUsageTask(ctx, { day: "2031-01-10" })).recorded, 0);
    assert.deepEqual(await usageDays(ctx, { studioId: a.studioId, from: "2031-01-10", to: "2031-01-10" }), day1);

    // Day 2: A's quota is set (audited), one more pack lands and a restore point of 3 chunks of
    // 100 bytes is committed (its chunk rows are written without a pack upload); day 3: nothing.
    await setQuota(ctx, OPERATOR, { studioId: a.studioId, quotaBytes: 2000 });
    await relay(ctx, a, 100);
    await committedRestorePoint(ctx, a, randomUUID(), { n: 3 });
    clock.set(new Date(Date.UTC(2031, 0, 12, 0, 1)));
    await recordUsageDay(ctx, "2031-01-11");
    clock.advance(DAY);
    await recordUsageDay(ctx, "2031-01-12");
    const rows = await usageDays(ctx, { studioId: a.studioId, from: "2031-01-09", to: "2031-01-12" });
    assert.deepEqual(
      rows.map((r) => [r.day, r.storedBytes, r.quotaBytes, r.chunks, r.restorePoints, r.uploadedBytes]),
      [
        ["2031-01-10", 1500, null, 2, 0, 1500],
        ["2031-01-11", 2150, 2000, 7, 1, 350],
        ["2031-01-12", 2150, 2000, 7, 1, 0],
      ],
    );
    // Studio B's rows are its own.
    const bRows = await usageDays(ctx, { studioId: b.studioId, from: "2031-01-10", to: "2031-01-12" });
    assert.deepEqual(
      bRows.map((r) => [r.studioId, r.day, r.storedBytes, r.uploadedBytes]),
      [
        [b.studioId, "2031-01-10", 70, 70],
        [b.studioId, "2031-01-11", 70, 0],
        [b.studioId, "2031-01-12", 70, 0],
      ],
    );
    // Every studio's, for one day (datasafe-admin usage without --studio).
    const all = await usageDays(ctx, { from: "2031-01-12", to: "2031-01-12" });
    assert.ok(all.some((r) => r.studioId === a.studioId) && all.some((r) => r.studioId === b.studioId));
    assert.equal(new Set(all.map((r) => `${r.studioId}/${r.day}`)).size, all.length, "one row per studio per day");

    assert.deepEqual(await currentUsage(ctx, a.studioId), {
      studioId: a.studioId,
      storedBytes: 2150,
      quotaBytes: 2000,
      limitBytes: 2200,
      percent: 107.5,
      level: "over",
      uploadedBytes: 1850,
    });
    const events = await ctx.db.auditEvent.findMany({ where: { studioId: a.studioId, action: "studio.quota.set" } });
    assert.deepEqual(
      events.map((e) => [e.actorRole, e.details]),
      [["operator", { from: null, to: 2000 }]],
    );
  });

  it("refuses bad ranges: a day that is not one, from after to, more than 400 days; an unknown studio is not found", async () => {
    await assert.rejects(usageDays(ctx, { from: "2031-02-30", to: "2031-03-01" }), /not a day/);
    await assert.rejects(usageDays(ctx, { from: "2031-03-02", to: "2031-03-01" }), /after/);
    await assert.rejects(usageDays(ctx, { from: "2029-01-01", to: "2031-01-01" }), /at most 400 days/);
    await assert.rejects(usageDays(ctx, { studioId: randomUUID() }), /studio not found/);
    await assert.rejects(setQuota(ctx, OPERATOR, { studioId: randomUUID(), quotaBytes: 1 }), /studio not found/);
  });
});
