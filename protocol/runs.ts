// Run history (issue 19): each backup run of a device's agent, reported by the agent like its
// heartbeats, read by owners and support per device.
//
// Reporting (device audience, PUT /v1/runs/:runId). The agent chooses the run id (a UUID per
// run and per retry attempt) and reports the run when it starts (finishedAt and result null) and
// again when it ends. Contract:
//   - Idempotent on the run id: a report may be sent any number of times. Until a report with
//     a result arrives, each one replaces the row; once the run has a result it is final, and
//     later reports of it change nothing and answer the stored run (`recorded: false`).
//   - Zero knowledge: an error *code*, never a message (it could name a file).
//   - Times are the agent's clock, accepted within RUN_CLOCK_BOUNDS of the server's.
//   - A restorePointId must be one of the device's studio (else 404, as for any other tenant's id).
// Rows are kept RUN_HISTORY_DAYS after their start.
import { z } from "zod";

export const RUN_HISTORY_DAYS = 400;
/** How far the agent's times may lie from the server's: not older than the history, not ahead by more than a day. */
export const RUN_CLOCK_BOUNDS = { pastDays: RUN_HISTORY_DAYS, futureMs: 86_400_000 };

const iso = z.iso.datetime();
export const runTrigger = z.enum(["scheduled", "watched", "manual"]);
export const runResult = z.enum(["success", "partial", "failed"]);
export type RunTrigger = z.infer<typeof runTrigger>;
export type RunResult = z.infer<typeof runResult>;
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const runParams = z.object({ runId: z.uuid() });

export const runReportBody = z
  .object({
    trigger: runTrigger,
    startedAt: iso,
    /** null while the run is going on; then result is null too. */
    finishedAt: iso.nullable(),
    result: runResult.nullable(),
    errorCode: z
      .string()
      .regex(/^[A-Z0-9_]{1,64}$/, "must be an error code (A-Z, 0-9, _)")
      .nullable(),
    restorePointId: z.uuid().nullable(),
    files: count.nullable().default(null),
    bytesRead: count.nullable().default(null),
    bytesUploaded: count.nullable().default(null),
    /** Files that could not be read (a partial run). */
    skipped: count.nullable().default(null),
  })
  .strict()
  .refine((b) => (b.finishedAt === null) === (b.result === null), { message: "finishedAt and result are given together", path: ["result"] })
  .refine((b) => b.finishedAt === null || Date.parse(b.finishedAt) >= Date.parse(b.startedAt), {
    message: "finishedAt is before startedAt",
    path: ["finishedAt"],
  });
export type RunReportBody = z.infer<typeof runReportBody>;

export const runView = z.object({
  id: z.uuid(),
  deviceId: z.uuid(),
  trigger: runTrigger,
  startedAt: iso,
  finishedAt: iso.nullable(),
  result: runResult.nullable(),
  errorCode: z.string().nullable(),
  restorePointId: z.uuid().nullable(),
  files: z.number().int().nullable(),
  bytesRead: z.number().int().nullable(),
  bytesUploaded: z.number().int().nullable(),
  skipped: z.number().int().nullable(),
  receivedAt: iso,
});
export type RunView = z.infer<typeof runView>;
export const runReportAck = z.object({ run: runView, recorded: z.boolean() });

export const deviceRunsQuery = z.object({
  /** Runs started at or after this time (default: the whole history), newest first. */
  since: iso.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export const deviceRunList = z.object({ runs: z.array(runView) });

/** The newest run of a device, in the studio summary's device entries. */
export const lastRunView = z.object({
  id: z.uuid(),
  trigger: runTrigger,
  startedAt: iso,
  finishedAt: iso.nullable(),
  result: runResult.nullable(),
  errorCode: z.string().nullable(),
});
