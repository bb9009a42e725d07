// Job "collect-studio": one garbage collection run for one studio (services/gc/collect.ts,
// docs/garbage-collection.md). Added by the sweeper for every studio whose last run is a
// GC_INTERVAL_HOURS old, under a deterministic id per interval; a run that finds another holding
// the studio returns at once, and the sweeper adds it again later.
import type { Ctx } from "../../context.ts";
import { collectStudio, type CollectResult } from "../../services/gc/collect.ts";
import type { CollectStudioJob } from "../queues.ts";

export async function collectStudioTask(ctx: Ctx, job: CollectStudioJob): Promise<CollectResult> {
  const result = await collectStudio(ctx, job.studioId);
  if (result.ran && (result.deletedChunks || result.deletedObjects))
    ctx.log.info({ studioId: job.studioId, ...result }, "garbage collected");
  return result;
}
