// One agent backup run: every configured source into one restore point (so "latest" is always
// the whole PC), under the shared backup lock, with the configured bandwidth limit and parallel
// uploads. Never throws: the outcome is a RunRecord, and the agent decides about retrying.
import { runBackup } from "../backup/run-backup.ts";
import type { ApiErrorCode } from "../../protocol/api-errors.ts";
import { CliError, type CliErrorCode } from "../errors.ts";
import type { Progress } from "../progress.ts";
import type { DeviceState } from "../state.ts";
import { type AgentConfig, excludeSpecFor } from "./config-file.ts";
import { acquireBackupLock } from "./lock.ts";
import type { Log } from "./logger.ts";
import { isLimited, LIMITED_PACK_BYTES, rateAt } from "./rates.ts";
import type { RunRecord, Trigger } from "./status-file.ts";
import { createThrottle } from "./throttle.ts";

export interface JobContext {
  home: string;
  config: AgentConfig;
  state: DeviceState;
  log: Log;
  progress: Progress;
  /** Called when the lock is free and the backup starts. */
  onStart: () => void;
  onWaitForLock: () => void;
}

/** A stable code for the server (never a message: it may hold a file name). */
export function errorCode(err: unknown): string {
  if (err instanceof CliError) return err.code;
  const code = (err as NodeJS.ErrnoException)?.code;
  return typeof code === "string" && /^[A-Z0-9_]{1,64}$/.test(code) ? code : "INTERNAL";
}

/**
 * Device revoked or credential refused, nothing to back up, the studio past its storage quota
 * (until someone raises it or frees space): retrying within the hour cannot help.
 */
const PERMANENT: ReadonlySet<string> = new Set<CliErrorCode | ApiErrorCode>([
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_ENROLLED",
  "NO_SOURCES",
  "QUOTA_EXCEEDED",
]);
export const isPermanent = (code: string) => PERMANENT.has(code);

export async function runJob(ctx: JobContext, trigger: Trigger, attempt: number): Promise<RunRecord> {
  const base = { trigger, attempt, startedAt: new Date().toISOString() };
  const finish = (fields: Partial<RunRecord>): RunRecord => ({
    ...base,
    finishedAt: new Date().toISOString(),
    result: "failed",
    restorePointId: null,
    files: 0,
    bytesRead: 0,
    bytesUploaded: 0,
    durationMs: Date.now() - Date.parse(base.startedAt),
    skipped: 0,
    errorCode: null,
    error: null,
    ...fields,
  });
  if (ctx.config.sources.length === 0) {
    return finish({ errorCode: "NO_SOURCES", error: "no sources configured: run `datasafe config add-source FOLDER`" });
  }
  let lock;
  try {
    lock = await acquireBackupLock(ctx.home, { wait: true, onWait: ctx.onWaitForLock });
  } catch (err) {
    return finish({ errorCode: errorCode(err), error: (err as Error).message });
  }
  try {
    ctx.onStart();
    base.startedAt = new Date().toISOString();
    ctx.log.info("backup started", { trigger, attempt, sources: ctx.config.sources.length });
    const r = await runBackup({
      state: ctx.state,
      home: ctx.home,
      paths: ctx.config.sources.map((s) => s.path),
      excludes: ctx.config.sources.map((s) => excludeSpecFor(ctx.config, s)),
      label: ctx.config.label,
      progress: ctx.progress,
      sink: {
        concurrency: ctx.config.parallelUploads,
        throttle: createThrottle((at) => rateAt(ctx.config.bandwidth, at)),
        // A limited line, not per-object overhead, sets the pace: small packs, so a killed run
        // loses little and progress reaches the server steadily.
        ...(isLimited(ctx.config.bandwidth) ? { packBytes: LIMITED_PACK_BYTES } : {}),
      },
    });
    lock.lost.throwIfAborted();
    // Names stay on this PC (log file); the server only learns the count.
    for (const s of r.skipped.slice(0, 100)) ctx.log.warn("file skipped", { path: s.path, error: s.error });
    if (r.excluded) ctx.log.info("left out by exclude patterns", { excluded: r.excluded });
    if (r.quotaWarning) ctx.log.warn("storage quota", { warning: r.quotaWarning });
    return finish({
      result: "ok",
      restorePointId: r.restorePointId,
      files: r.files,
      bytesRead: r.bytesRead,
      bytesUploaded: r.bytesUploaded,
      durationMs: r.durationMs,
      skipped: r.skipped.length,
    });
  } catch (err) {
    return finish({ errorCode: errorCode(err), error: (err as Error).message });
  } finally {
    await lock.release();
  }
}
