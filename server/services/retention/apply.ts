// apply-retention for one studio (jobs/tasks/apply-retention.ts; tests call it directly):
//   1. measure new points and open the signals their history shows (detect.ts);
//   2. in one transaction holding the studio's row lock (the lock person's actions take too, so a
//      hold, delete or undo is never lost between the plan and the write): plan (studio-plan.ts);
//      unless paused, soft-delete what expires (deletedBy "policy") and purge rows deleted more
//      than the grace ago; one RetentionEvent per point changed.
// While any signal of the studio is open nothing is deleted or purged. This job never deletes a
// chunk or an object: a purged row's chunks are the collector's to reclaim once no row names them.
// A restore point committed meanwhile only adds a newer point, which never makes a kept one
// needed less... except as the newest of its device, and a newer point only takes that role.
import type { Ctx } from "../../context.ts";
import { detectSignals, measureNewBytes } from "./detect.ts";
import { studioPlan } from "./studio-plan.ts";

export interface RetentionRun {
  paused: boolean;
  signalsOpened: number;
  softDeleted: number;
  purged: number;
}

/** Takes the studio's row lock for the rest of the transaction (retention's one lock). */
export async function lockStudio(tx: Pick<Ctx["db"], "$queryRaw">, studioId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM "Studio" WHERE id = ${studioId}::uuid FOR UPDATE`;
}

export async function applyRetention(ctx: Ctx, studioId: string): Promise<RetentionRun> {
  await measureNewBytes(ctx, studioId);
  const signalsOpened = await detectSignals(ctx, studioId);
  const now = ctx.clock.now();
  const run = await ctx.db.$transaction(
    async (tx) => {
      await lockStudio(tx, studioId);
      const plan = await studioPlan(ctx, studioId, { db: tx });
      if (plan.paused) return { paused: true, softDeleted: 0, purged: 0 };
      const expire = plan.decisions.filter((d) => d.decision === "expire").map((d) => d.point);
      const purge = plan.decisions.filter((d) => d.decision === "deleted" && d.purgeAt! <= now).map((d) => d.point);
      if (expire.length) {
        await tx.restorePoint.updateMany({
          where: { studioId, id: { in: expire.map((p) => p.id) }, deletedAt: null, heldAt: null },
          data: { deletedAt: now, deletedBy: "policy", deleteReason: "expired by the retention policy" },
        });
      }
      if (purge.length) {
        await tx.restorePoint.deleteMany({
          where: {
            studioId,
            id: { in: purge.map((p) => p.id) },
            deletedAt: { lte: new Date(now.getTime() - ctx.config.retention.graceMs) },
          },
        });
      }
      const events = [
        ...expire.map((p) => ({ p, action: "deleted", reason: "expired by the retention policy" })),
        ...purge.map((p) => ({ p, action: "purged", reason: "grace period over" })),
      ];
      await tx.retentionEvent.createMany({
        data: events.map(({ p, action, reason }) => ({
          studioId,
          restorePointId: p.id,
          deviceId: p.deviceId,
          pointCreatedAt: p.createdAt,
          label: p.label,
          at: now,
          action,
          by: "policy",
          reason,
        })),
      });
      return { paused: false, softDeleted: expire.length, purged: purge.length };
    },
    { timeout: 60_000 },
  );
  await ctx.db.studio.update({ where: { id: studioId }, data: { retentionAppliedAt: now } });
  return { ...run, signalsOpened };
}
