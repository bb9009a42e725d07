// `datasafe backup PATH...`: one backup now, never needing the passphrase. One backup at a time
// per PC: it waits for the agent's run (or another backup) to finish. The work is
// backup/run-backup.ts; this file is what the command adds around it.
import { withBackupLock } from "../agent/lock.ts";
import { errorCode } from "../agent/run-job.ts";
import { reportManualRun } from "../agent/run-report.ts";
import { checkPatterns } from "../backup/excludes.ts";
import { runBackup, type BackupResult } from "../backup/run-backup.ts";
import { mb } from "../output.ts";
import type { Progress } from "../progress.ts";
import { loadDeviceState } from "../state.ts";

export interface BackupCommandOptions {
  home: string;
  paths: string[];
  label: string | null;
  fullReread: boolean;
  /** --exclude patterns, and whether DEFAULT_EXCLUDES apply (--no-default-excludes). */
  exclude: string[];
  defaultExcludes: boolean;
  progress: Progress;
}

export async function backup(o: BackupCommandOptions): Promise<BackupResult> {
  checkPatterns(o.exclude, "--exclude");
  const excludes = { defaults: o.defaultExcludes, patterns: o.exclude };
  const state = await loadDeviceState(o.home);
  const onWait = () => process.stderr.write("datasafe: another backup is running on this PC; waiting for it to finish\n");
  // A backup by hand is a run too: the server's run history records it as "manual".
  let startedAt = new Date();
  const r = await withBackupLock(o.home, { wait: true, onWait }, () => {
    startedAt = new Date(); // the run starts once the lock is ours
    return runBackup({ state, home: o.home, paths: o.paths, label: o.label, fullReread: o.fullReread, excludes, progress: o.progress });
  }).catch(async (err: unknown) => {
    await reportManualRun(state, startedAt, { errorCode: errorCode(err) });
    throw err;
  });
  await reportManualRun(state, startedAt, {
    restorePointId: r.restorePointId,
    files: r.files,
    bytesRead: r.bytesRead,
    bytesUploaded: r.bytesUploaded,
    skipped: r.skipped.length,
  });
  return r;
}

export function describeBackup(r: BackupResult): string {
  const skipped = r.skipped.length
    ? `\n${r.skipped.length} skipped (not readable):\n${r.skipped.map((s) => `  ${s.path}: ${s.error}`).join("\n")}`
    : "";
  // FIFOs, sockets and devices hold no data: counted, never a reason for exit 5.
  const special = r.special ? `, ${r.special} special files (FIFOs, sockets, devices) not backed up` : "";
  const excluded = r.excluded ? `, ${r.excluded} excluded` : "";
  const quota = r.quotaWarning ? `\nwarning: ${r.quotaWarning}` : "";
  return `restore point ${r.restorePointId}: ${r.files} files (${r.filesUnchanged} unchanged)${excluded}${special}, ${mb(r.bytesRead)} read, ${mb(r.bytesUploaded)} uploaded (${r.chunksUploaded}/${r.chunksTotal} chunks) in ${(r.durationMs / 1000).toFixed(1)} s${skipped}${quota}`;
}
