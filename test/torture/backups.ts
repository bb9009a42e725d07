// What the scenarios share: a backup run to completion however often it is killed or fails,
// and the wait for every restore point to be verified by the workers.
import type { NodeProcess } from "../support/process.ts";
import type { Rig } from "./rig.ts";
import type { CliRun, Studio } from "./studio.ts";
import type { World } from "./world.ts";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface BackupOutcome {
  attempts: number;
  /** Wall time of the run that committed. */
  lastMs: number;
  killed: number;
  failed: number;
  restorePointId: string;
}

/**
 * Runs `datasafe backup` of the studio's source until one run commits (exit 0), at most
 * `maxAttempts` times. `envFor(attempt)` may set DATASAFE_FAULT_POINT for an attempt;
 * `running` holds the live uploader processes and their attempt numbers (the crash scenario
 * kills from it).
 */
export async function backupUntilDone(
  studio: Studio,
  world: World,
  o: { running?: Map<NodeProcess, number>; envFor?: (attempt: number) => NodeJS.ProcessEnv; maxAttempts?: number } = {},
): Promise<BackupOutcome> {
  const out = { attempts: 0, lastMs: 0, killed: 0, failed: 0, restorePointId: "" };
  let last: CliRun | undefined;
  while (out.attempts < (o.maxAttempts ?? 20)) {
    out.attempts++;
    let proc: NodeProcess | undefined;
    const t0 = Date.now();
    last = await studio.run(["backup", studio.src], o.envFor?.(out.attempts), (p) => {
      proc = p;
      o.running?.set(p, out.attempts);
    });
    out.lastMs = Date.now() - t0;
    if (proc) o.running?.delete(proc);
    if (last.code === 0) {
      out.restorePointId = String(last.json.restorePointId);
      world.committed(studio, out.restorePointId);
      return out;
    }
    if (last.signal === "SIGKILL") out.killed++;
    else out.failed++;
    await sleep(200);
  }
  throw new Error(
    `${studio.name}: no backup committed in ${out.attempts} attempts; last (${last?.code ?? last?.signal}): ${last?.stderr.slice(-1500)}`,
  );
}

/** Waits until no committed restore point of `studios` is pending verification; returns the ms waited. */
export async function waitVerified(rig: Rig, studios: Studio[], timeoutMs = 90_000): Promise<number> {
  const t0 = Date.now();
  const db = await rig.db();
  try {
    for (;;) {
      const r = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM "RestorePoint" WHERE "studioId" = ANY($1::uuid[]) AND "deletedAt" IS NULL AND health = 'pending'`,
        [studios.map((s) => s.studioId)],
      );
      if (Number(r.rows[0]!.n) === 0) return Date.now() - t0;
      if (Date.now() - t0 > timeoutMs) throw new Error(`${r.rows[0]!.n} restore points still pending verification after ${timeoutMs} ms`);
      await sleep(250);
    }
  } finally {
    await db.end();
  }
}
