// Job "expire-runs": deletes run history older than RUN_HISTORY_DAYS (services/device-runs.ts).
// Added by the sweeper once per sweep interval under a deterministic id; idempotent.
import type { Ctx } from "../../context.ts";
import { expireRuns } from "../../services/device-runs.ts";
import type { ExpireRunsJob } from "../queues.ts";

export async function expireRunsTask(ctx: Ctx, _job: ExpireRunsJob): Promise<{ deleted: number }> {
  const result = await expireRuns(ctx);
  if (result.deleted) ctx.log.info(result, "expired old run history");
  return result;
}
