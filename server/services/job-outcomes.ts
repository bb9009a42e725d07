// The last outcome of each kind of background job, in Postgres (JobOutcome): BullMQ keeps its
// failed jobs in Redis, which may lose them all, so the operator alerts (alerts/evaluate-
// operations.ts) read failures from here. The worker records every completion and every final
// failure (after the job's retries, or at once for a permanent error); a transient failure that a
// retry cures is not news. Per studio for jobs about one studio (scope = its id), so a job that
// fails for one studio and succeeds for the others is still seen failing.
import type { Ctx } from "../context.ts";
import { StorageError } from "../storage/index.ts";

/** What the blob store answers when it is down or refuses us: the "storage errors" alert. */
const STORAGE_PROBLEMS = new Set(["storage_unavailable", "storage_auth", "storage_error"]);

/** The blob store's error code behind `err` (itself or its cause), if it is a storage problem. */
export function storageProblemOf(err: unknown): string | null {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof StorageError) return STORAGE_PROBLEMS.has(e.code) ? e.code : null;
  }
  return null;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 500);

export async function recordJobOutcome(ctx: Ctx, job: { name: string; scope: string | null }, error: unknown | null): Promise<void> {
  const now = ctx.clock.now();
  const scope = job.scope ?? "";
  if (error === null) {
    await ctx.db.$executeRaw`
      INSERT INTO "JobOutcome" ("name", "scope", "lastSuccessAt", "failures") VALUES (${job.name}, ${scope}, ${now}::timestamp(3), 0)
      ON CONFLICT ("name", "scope") DO UPDATE SET "lastSuccessAt" = EXCLUDED."lastSuccessAt", "failures" = 0`;
    return;
  }
  const storageCode = storageProblemOf(error);
  await ctx.db.$executeRaw`
    INSERT INTO "JobOutcome" ("name", "scope", "lastFailureAt", "failures", "lastError", "storageCode")
    VALUES (${job.name}, ${scope}, ${now}::timestamp(3), 1, ${message(error)}, ${storageCode})
    ON CONFLICT ("name", "scope") DO UPDATE SET "lastFailureAt" = EXCLUDED."lastFailureAt",
      "failures" = "JobOutcome"."failures" + 1, "lastError" = EXCLUDED."lastError", "storageCode" = EXCLUDED."storageCode"`;
}
