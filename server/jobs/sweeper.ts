// The sweeper: Redis may lose every job at any moment (it keeps nothing on disk), so each worker
// re-creates jobs from Postgres at start and then every SWEEP_INTERVAL_SECONDS: verification of
// every restore point still due (verifyDueAt set), the current scrub slot, the expiry of
// abandoned reference pages and of runs past the history's length, the daily usage rows, alert
// evaluation and delivery, and retention of every studio not applied in the current retention
// slot. Job ids are
// derived from that state (queues.ts), so copies added by several workers collapse into one.
// An in-process timer rather than a BullMQ repeatable job: a repeatable job lives in Redis and
// would be lost with it.
import type { Ctx } from "../context.ts";
import { lastCompleteDay } from "../services/usage.ts";
import { addJob, type IntegrityQueue } from "./queues.ts";
import { studiosDue } from "../services/gc/collect.ts";

const BATCH = 1000;

export async function sweepOnce(ctx: Ctx, queue: IntegrityQueue): Promise<{ verify: number; retention: number }> {
  const due = await ctx.db.restorePoint.findMany({
    where: { verifyDueAt: { lte: ctx.clock.now() } },
    orderBy: { verifyDueAt: "asc" },
    take: BATCH,
    select: { id: true, studioId: true, verifyGeneration: true },
  });
  for (const rp of due) await addJob(queue, "verify", { studioId: rp.studioId, restorePointId: rp.id, generation: rp.verifyGeneration });
  await addJob(queue, "scrub-slot", { slot: Math.floor(ctx.clock.now().getTime() / ctx.config.integrity.scrubIntervalMs) });
  await addJob(queue, "expire-ref-pages", { slot: Math.floor(ctx.clock.now().getTime() / ctx.config.integrity.sweepIntervalMs) });
  await addJob(queue, "expire-runs", { slot: Math.floor(ctx.clock.now().getTime() / ctx.config.integrity.sweepIntervalMs) });
  // Garbage collection, per studio due (docs/garbage-collection.md).
  const gcSlot = Math.floor(ctx.clock.now().getTime() / ctx.config.gc.intervalMs);
  for (const studioId of await studiosDue(ctx, BATCH)) await addJob(queue, "collect-studio", { studioId, slot: gcSlot });
  // Each sweep: a re-run of a recorded day inserts nothing and costs one probe per studio.
  await addJob(queue, "record-usage", { day: lastCompleteDay(ctx.clock.now()) });
  // Alerts are computed from Postgres and their outbox lives there: re-adding these loses nothing.
  await addJob(queue, "alerts-evaluate", { slot: Math.floor(ctx.clock.now().getTime() / ctx.config.integrity.sweepIntervalMs) });
  await addJob(queue, "alerts-deliver", { slot: Math.floor(ctx.clock.now().getTime() / ctx.config.integrity.sweepIntervalMs) });
  const retention = await addRetentionJobs(ctx, queue);
  return { verify: due.length, retention };
}

/** apply-retention for every studio not applied in the current retention slot (a batch per sweep). */
async function addRetentionJobs(ctx: Ctx, queue: IntegrityQueue): Promise<number> {
  const interval = ctx.config.retention.intervalMs;
  const slot = Math.floor(ctx.clock.now().getTime() / interval);
  const studios = await ctx.db.studio.findMany({
    where: { OR: [{ retentionAppliedAt: null }, { retentionAppliedAt: { lt: new Date(slot * interval) } }] },
    orderBy: { retentionAppliedAt: { sort: "asc", nulls: "first" } },
    take: BATCH,
    select: { id: true },
  });
  for (const s of studios) await addJob(queue, "apply-retention", { studioId: s.id, slot });
  return studios.length;
}

export function startSweeper(ctx: Ctx, queue: IntegrityQueue): { stop(): void } {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const r = await sweepOnce(ctx, queue);
      if (r.verify) ctx.log.debug(r, "sweeper re-enqueued due verification");
    } catch (err) {
      ctx.log.warn({ err }, "sweep failed; retrying at the next interval");
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), ctx.config.integrity.sweepIntervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
