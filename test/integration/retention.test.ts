// Retention end to end in process (services/retention/): restore points committed through the real
// commit service on a ManualClock, apply-retention run as the job runs it, against real Postgres.
//   - a simulated year of nightly backups, retention applied every day: exactly the points the
//     policy names stay live, the others are soft-deleted, then purged after the grace;
//   - a flood of 500 junk points from one device over a month (labelled and not, many right after
//     each good nightly run): paused from the first flood day, nothing deleted while paused, no
//     junk point is ever a bucket's keeper, and once a person closes the signal every good point
//     from before the flood that the policy names is still there;
//   - a suspicious change (a point whose new bytes are most of it, far above the device's usual);
//   - undo within the grace, refusal after it, purge; held and newest points cannot be deleted;
//     the policy's operator minimums bind owners, not admins.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { DEFAULT_RETENTION_POLICY } from "../../protocol/retention.ts";
import { ManualClock } from "../../server/clock.ts";
import type { Ctx } from "../../server/context.ts";
import type { Actor } from "../../server/services/audit.ts";
import { applyRetention } from "../../server/services/retention/apply.ts";
import { planRetention } from "../../server/services/retention/plan.ts";
import { actOnPoint, closeSignal } from "../../server/services/retention/point-actions.ts";
import { writePolicy } from "../../server/services/retention/policy.ts";
import { listRetentionEvents, retentionState } from "../../server/services/retention/retention-state.ts";
import { studioPlan } from "../../server/services/retention/studio-plan.ts";
import { insertChunkRows } from "../../server/services/upload-chunk-rows.ts";
import { objectKeyForPack } from "../../server/storage/index.ts";
import { startInProcess, type InProcess } from "../support/in-process.ts";
import { committedRestorePoint } from "../support/restore-points.ts";
import { enrollTestDevice, newTestStudio, type TestDevice } from "../support/studio.ts";

const DAY = 86_400_000;
const OWNER: Actor = { id: null, role: "owner", label: "owner@acme.test" };
const SUPPORT: Actor = { id: null, role: "support", label: "support@datasafe.test" };
const ADMIN: Actor = { id: null, role: "admin", label: "admin@datasafe.test" };

let s: InProcess;
before(async () => {
  s = await startInProcess();
});
after(async () => s?.close());

async function studioWithDevice(name: string): Promise<TestDevice> {
  return enrollTestDevice(s.ctx, await newTestStudio(s.ctx, name));
}
const at = (ctx: Ctx) => ctx; // readability: a ctx on the test's clock
async function commit(ctx: Ctx, d: TestDevice, label?: string): Promise<string> {
  const id = randomUUID();
  await committedRestorePoint(ctx, d, id, label ? { n: 2, label } : { n: 2 });
  return id;
}
async function live(studioId: string) {
  return s.ctx.db.restorePoint.findMany({ where: { studioId, deletedAt: null }, select: { id: true, createdAt: true } });
}

describe("retention: a simulated year of nightly backups", () => {
  it("keeps exactly the points the policy names; the rest are soft-deleted, then purged after the grace", async () => {
    const d = await studioWithDevice("Year Studio");
    const clock = new ManualClock(new Date("2026-01-01T02:00:00Z"));
    const ctx = at({ ...s.ctx, clock });
    const started = Date.now();
    let lastRun = clock.now();
    for (let day = 0; day < 365; day++) {
      await commit(ctx, d);
      clock.advance(DAY / 2);
      // The job, every 7th day and on the last (each run costs about a second on a loaded 2-core
      // test machine; a point once expired never comes back, so fewer runs reach the same end).
      if (day % 7 === 6 || day === 364) {
        assert.equal((await applyRetention(ctx, d.studioId)).paused, false);
        lastRun = clock.now();
      }
      if (day < 364) clock.advance(DAY / 2);
    }
    const elapsedMs = Date.now() - started;
    const again = await applyRetention(ctx, d.studioId);
    assert.deepEqual([again.softDeleted, again.purged], [0, 0], "a second run at the same time finds nothing more");
    // The last run: 2026-12-31T14:00Z; the last point is 2026-12-31T02:00Z.
    const now = lastRun;
    const kept = new Set((await live(d.studioId)).map((p) => p.createdAt.toISOString().slice(0, 10)));
    // The days the policy names, worked out by hand from the calendar (not by plan.ts):
    // the 30 days 12-02..12-31 (14 days, then daily to 30), the Sunday keepers of the 12 weeks
    // (Sundays 10-11..11-29; later Sundays are in the 30 days), and each month's last night
    // within 12 months: 01-31 .. 11-30 (12-31 is in the 30 days).
    const want = new Set<string>();
    for (let t = Date.parse("2026-12-02T02:00:00Z"); t <= Date.parse("2026-12-31T02:00:00Z"); t += DAY)
      want.add(new Date(t).toISOString().slice(0, 10));
    for (const sunday of ["10-11", "10-18", "10-25", "11-01", "11-08", "11-15", "11-22", "11-29"]) want.add(`2026-${sunday}`);
    for (const end of ["01-31", "02-28", "03-31", "04-30", "05-31", "06-30", "07-31", "08-31", "09-30", "10-31", "11-30"])
      want.add(`2026-${end}`);
    assert.deepEqual([...kept].sort(), [...want].sort());
    assert.equal(kept.size, 49);

    const deleted = await s.ctx.db.restorePoint.findMany({ where: { studioId: d.studioId, deletedAt: { not: null } } });
    for (const p of deleted) {
      assert.equal(p.deletedBy, "policy");
      assert.ok(now.getTime() - p.deletedAt!.getTime() < 7 * DAY, "older deletions are purged");
    }
    assert.ok(deleted.length > 0, `in grace: ${deleted.length}`);
    const events = await listRetentionEvents(s.ctx, d.studioId, 1000);
    const count = (a: string) => events.filter((e) => e.action === a).length;
    assert.equal(count("deleted"), 365 - 49);
    assert.equal(count("purged"), 365 - 49 - deleted.length);
    assert.equal((await retentionState(s.ctx, d.studioId)).paused, false, "a nightly device raises no signal");
    console.log(`# simulated year: 365 commits and 54 retention runs in ${elapsedMs} ms`);
  });
});

describe("retention: a flood of junk from one device", () => {
  it("500 junk points over a month: paused, nothing lost, junk never a keeper; after closing, the policy's good points remain", async () => {
    const d = await studioWithDevice("Flood Studio");
    const clock = new ManualClock(new Date("2026-08-01T02:00:00Z"));
    const ctx = at({ ...s.ctx, clock });
    const good = new Set<string>();
    const junk = new Set<string>();
    // 60 quiet nights, retention applied weekly.
    for (let day = 0; day < 60; day++) {
      good.add(await commit(ctx, d));
      clock.advance(DAY / 2);
      if (day % 7 === 6) await applyRetention(ctx, d.studioId);
      clock.advance(DAY / 2);
    }
    const goodBefore = new Set((await live(d.studioId)).map((p) => p.id));
    const policyExpiredBefore = new Set([...good].filter((id) => !goodBefore.has(id)));
    // 30 nights of flood: after each good nightly run, 16 or 17 junk points (every third one
    // labelled), the first minutes after the good run, the rest through the day: 500 in all.
    let sent = 0;
    let deletedDuringFlood = 0;
    const firstJunkAt = clock.now().getTime() + 60_000;
    for (let day = 0; day < 30; day++) {
      const night = clock.now().getTime();
      good.add(await commit(ctx, d));
      const n = day < 20 ? 17 : 16;
      for (let k = 0; k < n; k++) {
        clock.set(new Date(night + (k < 4 ? (k + 1) * 60_000 : k * 40 * 60_000)));
        junk.add(await commit(ctx, d, sent % 3 === 0 ? "before import" : undefined));
        sent++;
      }
      clock.set(new Date(night + DAY / 2 + 3_600_000));
      const run = await applyRetention(ctx, d.studioId);
      deletedDuringFlood += run.softDeleted + run.purged;
      assert.equal(run.paused, true, `paused on flood day ${day}`);
      clock.set(new Date(night + DAY));
    }
    assert.equal(sent, 500);
    assert.equal(deletedDuringFlood, 0, "nothing deleted or purged while paused");
    const liveNow = new Set((await live(d.studioId)).map((p) => p.id));
    // Every good point live when the flood began, and every good nightly run during it, is still live.
    const duringFlood = [...good].filter((id) => !goodBefore.has(id) && !policyExpiredBefore.has(id));
    assert.equal(duringFlood.length, 30);
    const lost = [...goodBefore, ...duringFlood].filter((id) => !liveNow.has(id));
    assert.deepEqual(lost, [], "0 good restore points lost");

    const state = await retentionState(s.ctx, d.studioId);
    assert.equal(state.paused, true);
    assert.equal(state.signals.length, 1);
    assert.equal(state.signals[0]!.kind, "flood");
    assert.match(state.why[0]!, /committed \d+ restore points in 24 h; its usual is 1 a day/);

    // Junk is never a keeper nor earns the label rule, whatever the policy.
    const plan = await studioPlan(ctx, d.studioId);
    for (const dec of plan.decisions.filter((x) => junk.has(x.point.id))) {
      assert.equal(dec.point.suspect, true);
      for (const r of dec.reasons) assert.match(r.reason, /^(within 14 days|retention paused|latest of device)$/, r.reason);
    }

    // A person looks, closes the signal; retention resumes.
    await closeSignal(s.ctx, OWNER, { studioId: d.studioId, signalId: state.signals[0]!.id, note: "junk from the compromised PC" });
    const run = await applyRetention(ctx, d.studioId);
    assert.equal(run.paused, false);
    assert.ok(run.softDeleted > 0);
    const after = new Set((await live(d.studioId)).map((p) => p.id));
    // The good points committed before the signal's start (those before the flood and the first
    // flood night's run, which preceded the junk) that the policy names, as if no junk had ever
    // come, are all there.
    const since = state.signals[0]!.since;
    assert.equal(since.getTime(), firstJunkAt, "the signal starts at the first junk point, after that night's good run");
    const goodRows = await s.ctx.db.restorePoint.findMany({ where: { id: { in: [...good] }, createdAt: { lt: since } } });
    const named = planRetention({
      points: goodRows.map((r) => ({
        id: r.id,
        deviceId: r.deviceId,
        createdAt: r.createdAt,
        label: r.label,
        held: false,
        deletedAt: null,
        suspect: false,
      })),
      policy: DEFAULT_RETENTION_POLICY,
      now: clock.now(),
      paused: false,
      graceMs: 7 * DAY,
    }).filter((x) => x.decision === "keep" && !x.reasons.every((r) => r.reason === "latest of device"));
    assert.ok(named.length >= 3, `named ${named.length}`);
    for (const x of named) assert.ok(after.has(x.point.id), `good point ${x.point.createdAt.toISOString()} kept`);
    // Junk older than 14 days is gone (soft-deleted, restorable for the grace).
    const oldJunk = [...junk].filter((id) => !after.has(id));
    assert.ok(oldJunk.length > 250, `junk expired: ${oldJunk.length}`);
  });
});

describe("retention: suspicious change", () => {
  it("a point whose new bytes are most of it and far above the device's history pauses the studio", async () => {
    const d = await studioWithDevice("Change Studio");
    const clock = new ManualClock(new Date("2026-05-01T02:00:00Z"));
    const ctx = at({ ...s.ctx, clock });
    const MiB = 1024 * 1024;
    const point = async (newBytes: number) => {
      const id = randomUUID();
      const ids = Array.from({ length: 3 }, () => randomBytes(32).toString("hex")).sort();
      const key = objectKeyForPack(d.studioId);
      await insertChunkRows(
        ctx,
        d.studioId,
        ids.map((idHex, i) => ({ idHex, size: 100 * MiB, sha256Hex: randomBytes(32).toString("hex"), objectKey: key, offset: i })),
      );
      await ctx.db.upload.create({
        data: {
          objectKey: key,
          studioId: d.studioId,
          deviceId: d.deviceId,
          sessionId: id,
          size: newBytes,
          sha256: randomBytes(32),
          tableSha256: randomBytes(32),
          state: "stored",
        },
      });
      const { sendRefPages, commitOf } = await import("../support/restore-points.ts");
      const { commitRestorePoint } = await import("../../server/services/commit-restore-point.ts");
      const pages = await sendRefPages(ctx, d, id, ids);
      await commitRestorePoint(ctx, d, id, commitOf(ids, pages));
      return id;
    };
    for (let i = 0; i < 5; i++) {
      await point(2 * MiB);
      clock.advance(DAY);
    }
    assert.equal((await applyRetention(ctx, d.studioId)).signalsOpened, 0, "usual nights");
    const encrypted = await point(280 * MiB); // 280 of 300 MiB new
    clock.advance(3_600_000);
    const run = await applyRetention(ctx, d.studioId);
    assert.equal(run.signalsOpened, 1);
    assert.equal(run.paused, true);
    const state = await retentionState(s.ctx, d.studioId);
    assert.equal(state.signals[0]!.kind, "suspicious-change");
    assert.equal(state.signals[0]!.restorePointId, encrypted);
    assert.match(state.why[0]!, /new bytes \(280 MiB\) are 93 %/);
  });
});

describe("retention: deletion by a person, undo, purge, holds, policy limits", () => {
  it("soft delete, undo within the grace, refusal after it, purge by the job; held and newest points refuse", async () => {
    const d = await studioWithDevice("Undo Studio");
    const clock = new ManualClock(new Date("2026-06-01T02:00:00Z"));
    const ctx = at({ ...s.ctx, clock });
    const a = await commit(ctx, d);
    clock.advance(DAY);
    const b = await commit(ctx, d);
    const ids = { studioId: d.studioId, restorePointId: a };

    await assert.rejects(actOnPoint(ctx, OWNER, { studioId: d.studioId, restorePointId: b, action: "delete" }), {
      code: "LATEST_RESTORE_POINT",
    });
    const del = await actOnPoint(ctx, OWNER, { ...ids, action: "delete", reason: "client asked" });
    assert.equal(del.changed, true);
    assert.equal(del.purgeAt?.getTime(), clock.now().getTime() + 7 * DAY);
    assert.equal((await actOnPoint(ctx, OWNER, { ...ids, action: "delete" })).changed, false, "repeat: no-op");
    clock.advance(3 * DAY);
    const undo = await actOnPoint(ctx, SUPPORT, { ...ids, action: "undo" });
    assert.equal(undo.deletedAt, null, "support may undo within the grace");
    assert.equal((await s.ctx.db.restorePoint.findUniqueOrThrow({ where: { id: a } })).deletedAt, null);

    await actOnPoint(ctx, OWNER, { ...ids, action: "hold" });
    await assert.rejects(actOnPoint(ctx, OWNER, { ...ids, action: "delete" }), { code: "RESTORE_POINT_HELD" });
    await actOnPoint(ctx, OWNER, { ...ids, action: "release" });

    await actOnPoint(ctx, OWNER, { ...ids, action: "delete" });
    clock.advance(7 * DAY + 1);
    await assert.rejects(actOnPoint(ctx, OWNER, { ...ids, action: "undo" }), { code: "GRACE_OVER" });
    const run = await applyRetention(ctx, d.studioId);
    assert.equal(run.purged, 1);
    assert.equal(await s.ctx.db.restorePoint.count({ where: { id: a } }), 0, "the row is purged (its chunks are the collector's)");
    const events = (await listRetentionEvents(s.ctx, d.studioId, 100)).map((e) => `${e.action} by ${e.by}`);
    assert.deepEqual(events.reverse(), [
      "deleted by owner@acme.test",
      "undone by support@datasafe.test",
      "held by owner@acme.test",
      "released by owner@acme.test",
      "deleted by owner@acme.test",
      "purged by policy",
    ]);
    const audited = await s.ctx.db.auditEvent.findMany({ where: { studioId: d.studioId, action: { startsWith: "restore-point." } } });
    assert.equal(audited.length, 5, "every person's action is audited");
  });

  it("owners set a policy within the operator's minimums; only an admin goes below; both audited", async () => {
    const d = await studioWithDevice("Policy Studio");
    const low = { ...DEFAULT_RETENTION_POLICY, dailyDays: 3 };
    await assert.rejects(writePolicy(s.ctx, OWNER, d.studioId, low), { code: "RETENTION_BELOW_MINIMUM" });
    await writePolicy(s.ctx, OWNER, d.studioId, { ...DEFAULT_RETENTION_POLICY, monthlyMonths: 24 });
    await writePolicy(s.ctx, ADMIN, d.studioId, low);
    const audited = await s.ctx.db.auditEvent.findMany({
      where: { studioId: d.studioId, action: "retention.policy-changed" },
      orderBy: { id: "asc" },
    });
    assert.deepEqual(
      audited.map((a) => a.actorRole),
      ["owner", "admin"],
    );
  });
});
