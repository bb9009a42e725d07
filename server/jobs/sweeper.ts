// The sweeper: Redis may lose every job at any moment (it keeps nothing on disk), so each worker
// re-creates jobs from Postgres at start and then every SWEEP_INTERVAL_SECONDS: verification of
// every restore point still due (verifyDueAt set), the current scrub slot, the expiry of
// abandoned reference pages and of runs past the history's length, alert evaluation and delivery. Job ids are
// derived from that state (queues.ts), so copies added by several workers collapse into one.
// An in-process timer rather than a BullMQ repeatable job: a repeatable job lives in Redis and
// would be lost with it.
import type { Ctx } from "../context.ts";
import { addJob, type IntegrityQueue } from "./queues.ts";

const BATCH = 1000;

export async function sweepOnce(ctx: Ctx, queue: IntegrityQueue): Promise<{ verify: number }> {
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
  // Alerts are computed from Postgres and their outbox lives there: re-adding these loses nothing.
  await addJob(queue, "alerts-evaluate", { slot: Math.floor(ctx.clock.now().getTime() / ctx.config.integrity.sweepIntervalMs) });
  await addJob(queue, "alerts-deliver", { slot: Math.floor(ctx.clock.now().getTime() / ctx.config.integrity.sweepIntervalMs) });
  return { verify: due.length };
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
