// Run history: each backup run a device's agent reports (protocol/runs.ts has the contract),
// read per device by owners and staff, the newest one per device for the studio summary, and
// deleted RUN_HISTORY_DAYS after its start (jobs/tasks/expire-runs.ts).
//
// The report is one INSERT .. ON CONFLICT DO UPDATE .. WHERE result IS NULL: a start report and
// an end report of the same run racing each other cannot undo the end, and a repeated end report
// touches nothing (the affected-row count says whether this report was recorded).
import { RUN_CLOCK_BOUNDS, RUN_HISTORY_DAYS, type RunReportBody } from "../../protocol/runs.ts";
import type { Ctx } from "../context.ts";
import { errors } from "../errors.ts";
import type { Writer } from "./restore-points.ts";

const DAY_MS = 86_400_000;
const BATCH = 1000;

const runSelect = {
  id: true,
  deviceId: true,
  trigger: true,
  startedAt: true,
  finishedAt: true,
  result: true,
  errorCode: true,
  restorePointId: true,
  files: true,
  bytesRead: true,
  bytesUploaded: true,
  skipped: true,
  receivedAt: true,
} as const;

export async function recordRun(ctx: Ctx, who: Writer, runId: string, body: RunReportBody, now = new Date()) {
  const startedAt = new Date(body.startedAt);
  const finishedAt = body.finishedAt === null ? null : new Date(body.finishedAt);
  const latest = now.getTime() + RUN_CLOCK_BOUNDS.futureMs;
  if (
    startedAt.getTime() < now.getTime() - RUN_CLOCK_BOUNDS.pastDays * DAY_MS ||
    startedAt.getTime() > latest ||
    (finishedAt && finishedAt.getTime() > latest)
  ) {
    throw errors.validation(`run times must lie between ${RUN_CLOCK_BOUNDS.pastDays} days ago and a day ahead of the server's clock`);
  }
  if (body.restorePointId !== null) {
    const rp = await ctx.db.restorePoint.findFirst({ where: { id: body.restorePointId, studioId: who.studioId }, select: { id: true } });
    if (!rp) throw errors.notFound("restore point");
  }
  const big = (n: number | null) => (n === null ? null : BigInt(n));
  const recorded = await ctx.db.$executeRaw`
    INSERT INTO "DeviceRun" ("deviceId", "id", "studioId", "trigger", "startedAt", "finishedAt", "result", "errorCode",
      "restorePointId", "files", "bytesRead", "bytesUploaded", "skipped", "receivedAt")
    VALUES (${who.deviceId}::uuid, ${runId}::uuid, ${who.studioId}::uuid, ${body.trigger}, ${startedAt}::timestamp(3),
      ${finishedAt}::timestamp(3), ${body.result}, ${body.errorCode}, ${body.restorePointId}::uuid, ${body.files}::int,
      ${big(body.bytesRead)}::bigint, ${big(body.bytesUploaded)}::bigint, ${body.skipped}::int, ${now}::timestamp(3))
    ON CONFLICT ("deviceId", "id") DO UPDATE SET
      "trigger" = EXCLUDED."trigger", "startedAt" = EXCLUDED."startedAt", "finishedAt" = EXCLUDED."finishedAt",
      "result" = EXCLUDED."result", "errorCode" = EXCLUDED."errorCode", "restorePointId" = EXCLUDED."restorePointId",
      "files" = EXCLUDED."files", "bytesRead" = EXCLUDED."bytesRead", "bytesUploaded" = EXCLUDED."bytesUploaded",
      "skipped" = EXCLUDED."skipped", "receivedAt" = EXCLUDED."receivedAt"
    WHERE "DeviceRun"."result" IS NULL`;
  const run = await ctx.db.deviceRun.findUniqueOrThrow({
    where: { deviceId_id: { deviceId: who.deviceId, id: runId } },
    select: runSelect,
  });
  return { run, recorded: recorded === 1 };
}

export type RunRow = Awaited<ReturnType<typeof recordRun>>["run"];

/** A device's runs, newest first; 404 when the device is not the studio's (another tenant's id). */
export async function listRuns(ctx: Ctx, studioId: string, deviceId: string, q: { since?: Date; limit: number }): Promise<RunRow[]> {
  const device = await ctx.db.device.findFirst({ where: { id: deviceId, studioId }, select: { id: true } });
  if (!device) throw errors.notFound("device");
  return ctx.db.deviceRun.findMany({
    where: { deviceId, ...(q.since ? { startedAt: { gte: q.since } } : {}) },
    orderBy: [{ startedAt: "desc" }, { id: "desc" }],
    take: q.limit,
    select: runSelect,
  });
}

export interface LastRun {
  deviceId: string;
  id: string;
  trigger: string;
  startedAt: Date;
  finishedAt: Date | null;
  result: string | null;
  errorCode: string | null;
}

/** Deletes runs started more than RUN_HISTORY_DAYS ago, in short batches. */
export async function expireRuns(ctx: Ctx, now = new Date()): Promise<{ deleted: number }> {
  const cutoff = new Date(now.getTime() - RUN_HISTORY_DAYS * DAY_MS);
  let deleted = 0;
  for (;;) {
    const n = await ctx.db.$executeRaw`
      DELETE FROM "DeviceRun" WHERE ("deviceId", "id") IN (
        SELECT "deviceId", "id" FROM "DeviceRun" WHERE "startedAt" < ${cutoff}::timestamp(3) LIMIT ${BATCH}
      )`;
    deleted += n;
    if (n < BATCH) return { deleted };
  }
}
