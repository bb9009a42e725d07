// Reference pages of restore points never committed (a backup killed before its commit, a PC
// gone) are deleted PENDING_REF_PAGES_TTL_DAYS after they were last sent. Run by the worker's
// "expire-ref-pages" job (jobs/tasks/expire-ref-pages.ts), which the sweeper adds every interval:
// the truth is the pages' createdAt in Postgres, so a job Redis lost is simply the next one.
//
// Deleted in batches, each one short statement. Deleting the page of a restore point that is
// being committed right now is safe: the commit builds its references only from the pages it
// checked (commit-restore-point.ts), so it fails with REFS_INCOMPLETE and the uploader sends them
// again.
import type { Ctx } from "../context.ts";

const BATCH = 1000;

export async function expirePendingRefPages(ctx: Ctx, now = new Date()): Promise<{ deleted: number }> {
  const cutoff = new Date(now.getTime() - ctx.config.pendingRefPageTtlMs);
  let deleted = 0;
  for (;;) {
    const n = await ctx.db.$executeRaw`
      DELETE FROM "PendingRefPage" WHERE ("studioId", "restorePointId", page) IN (
        SELECT "studioId", "restorePointId", page FROM "PendingRefPage" WHERE "createdAt" < ${cutoff}::timestamp(3) LIMIT ${BATCH}
      ) AND "createdAt" < ${cutoff}::timestamp(3)`;
    deleted += n;
    if (n < BATCH) return { deleted };
  }
}
