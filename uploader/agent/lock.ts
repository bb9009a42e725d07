// One backup at a time per DATASAFE_HOME: the agent's runs and an owner's interactive
// `datasafe backup` take the same lock, so they never interleave (two runs would race on the
// file cache and double the upload for nothing).
//
// proper-lockfile: an atomic mkdir of DATASAFE_HOME/backup.lock whose mtime the holder touches
// every UPDATE_MS. A crashed or killed holder stops touching it, and after STALE_MS anyone may
// take it over, so a crash never leaves the lock stuck (a pid file cannot tell a dead process
// from a reused pid, and does not work across a shared folder).
import { mkdir } from "node:fs/promises";
import path from "node:path";
import lockfile from "proper-lockfile";
import { CliError } from "../errors.ts";

const STALE_MS = 10_000;
const UPDATE_MS = 2_500;
const POLL_MS = 1_000;

export interface HeldLock {
  release(): Promise<void>;
  /** Aborted if the lock was lost (e.g. the folder vanished); the run should stop. */
  readonly lost: AbortSignal;
}

export interface LockOptions {
  /** Wait for the holder to finish (true) or fail at once with BACKUP_RUNNING (false). */
  wait: boolean;
  /** Called once when we start waiting, to tell the user why nothing happens. */
  onWait?: () => void;
  signal?: AbortSignal;
}

export const lockPath = (home: string) => path.join(home, "backup.lock");

export const backupRunning = () =>
  new CliError("BACKUP_RUNNING", "another backup is running on this PC (the agent or another `datasafe backup`)");

export async function acquireBackupLock(home: string, o: LockOptions): Promise<HeldLock> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const lost = new AbortController();
  let told = false;
  for (;;) {
    try {
      const release = await lockfile.lock(home, {
        lockfilePath: lockPath(home),
        realpath: false,
        stale: STALE_MS,
        update: UPDATE_MS,
        retries: 0,
        // The default throws from a timer, which would kill the agent; stop the run instead.
        onCompromised: (err) => lost.abort(err),
      });
      return { release: () => release().catch(() => undefined), lost: lost.signal };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ELOCKED") throw err;
      if (!o.wait) throw backupRunning();
      if (!told) o.onWait?.();
      told = true;
      o.signal?.throwIfAborted();
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}

/** Runs `fn` holding the lock; releases it whatever happens. */
export async function withBackupLock<T>(home: string, o: LockOptions, fn: (lock: HeldLock) => Promise<T>): Promise<T> {
  const lock = await acquireBackupLock(home, o);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}
