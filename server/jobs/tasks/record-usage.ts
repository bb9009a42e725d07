// Job "record-usage": the daily usage rows of one ended day (services/usage.ts), for billing. Added
// by the sweeper at every sweep for the last complete day of ctx.clock under the id
// record-usage-<day>: copies from several workers collapse, and a re-run inserts nothing.
import type { Ctx } from "../../context.ts";
import { recordUsageDay } from "../../services/usage.ts";
import type { RecordUsageJob } from "../queues.ts";

export async function recordUsageTask(ctx: Ctx, job: RecordUsageJob): Promise<{ day: string; recorded: number }> {
  const result = await recordUsageDay(ctx, job.day);
  if (result.recorded) ctx.log.info(result, "recorded daily usage");
  return result;
}
