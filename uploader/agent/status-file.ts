// DATASAFE_HOME/status.json: written by the agent, read by `datasafe status` and by the agent
// itself at start. Contract: replaced atomically (temp + rename), so a reader sees a whole
// file; `pid` is the writing agent (alive or not: `datasafe status` checks); `coveredUntil` is
// the schedule bookkeeping (every slot up to it was covered by a completed run), and a non-null
// `progress` or `retry` left by a dead agent means its work is unfinished (agent.ts resumes it).
// It holds no file names: error messages of failed runs may, and are kept to this PC.
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

export type Trigger = "schedule" | "catch-up" | "watch" | "resume";

export interface RunRecord {
  trigger: Trigger;
  attempt: number;
  startedAt: string;
  finishedAt: string;
  result: "ok" | "failed";
  restorePointId: string | null;
  files: number;
  bytesRead: number;
  bytesUploaded: number;
  durationMs: number;
  skipped: number;
  /** Stable code (sent to the server) and message (kept on this PC: it may name a file). */
  errorCode: string | null;
  error: string | null;
}

export interface AgentStatus {
  version: 1;
  pid: number;
  agentVersion: string;
  startedAt: string;
  updatedAt: string;
  state: "idle" | "waiting-for-lock" | "running" | "retrying" | "stopped";
  nextRunAt: string | null;
  coveredUntil: string;
  retry: { trigger: Trigger; attempt: number; at: string } | null;
  progress: { trigger: Trigger; startedAt: string; bytesDone: number; bytesTotal: number } | null;
  lastRun: RunRecord | null;
  lastSuccessAt: string | null;
}

export const statusPath = (home: string) => path.join(home, "status.json");

export async function readStatus(home: string): Promise<AgentStatus | null> {
  try {
    return JSON.parse(await readFile(statusPath(home), "utf8")) as AgentStatus;
  } catch {
    return null; // never written, or damaged: the agent starts afresh
  }
}

export async function writeStatus(home: string, status: AgentStatus): Promise<void> {
  const tmp = `${statusPath(home)}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ ...status, updatedAt: new Date().toISOString() }, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, statusPath(home));
}
