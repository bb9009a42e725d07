// Asking for (re-)verification of restore points. The request lives in Postgres first (a new
// generation and a due time), then a job is enqueued with an id derived from the generation, so
// duplicate requests collapse in BullMQ and a job of an older generation cannot overwrite the
// verdict of a newer one. If Redis loses the job, the sweeper enqueues it again.
import type { Ctx } from "../../context.ts";
import type { Prisma } from "../../db.ts";

type Tx = Prisma.TransactionClient;

/** Bumps the generation of the given restore points; returns what to enqueue after commit. */
export async function markDue(db: Tx | Ctx["db"], studioId: string, ids: readonly string[]) {
  const due: Array<{ studioId: string; restorePointId: string; generation: number }> = [];
  for (const id of ids) {
    const row = await db.restorePoint.update({
      where: { id, studioId },
      data: { verifyGeneration: { increment: 1 }, verifyDueAt: new Date() },
      select: { verifyGeneration: true },
    });
    due.push({ studioId, restorePointId: id, generation: row.verifyGeneration });
  }
  return due;
}

export async function enqueueDue(ctx: Ctx, due: ReadonlyArray<{ studioId: string; restorePointId: string; generation: number }>) {
  for (const job of due) await ctx.jobs.verifyRestorePoint(job);
}

export async function requestVerification(ctx: Ctx, studioId: string, ids: readonly string[]): Promise<void> {
  await enqueueDue(ctx, await markDue(ctx.db, studioId, ids));
}
