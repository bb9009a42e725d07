// Job "apply-retention": one studio's retention (services/retention/apply.ts). Added by the
// sweeper for each studio not applied in the current slot, under a deterministic id; idempotent
// (a re-run plans again from Postgres and finds nothing new to delete).
import type { Ctx } from "../../context.ts";
import { applyRetention, type RetentionRun } from "../../services/retention/apply.ts";
import type { ApplyRetentionJob } from "../queues.ts";

export async function applyRetentionTask(ctx: Ctx, job: ApplyRetentionJob): Promise<RetentionRun> {
  const run = await applyRetention(ctx, job.studioId);
  if (run.softDeleted || run.purged || run.signalsOpened) ctx.log.info({ studioId: job.studioId, ...run }, "retention applied");
  return run;
}
