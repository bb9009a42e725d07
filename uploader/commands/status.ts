// `datasafe status`: what the agent last wrote to status.json, and whether it is still alive
// (a dead agent's "running" is stale: it is shown as not running, with its last known state).
import { readStatus, type AgentStatus } from "../agent/status-file.ts";
import { mb } from "../output.ts";

export interface StatusView {
  agent: "running" | "not running" | "never ran";
  pid: number | null;
  state: AgentStatus["state"] | null;
  nextRunAt: string | null;
  lastRun: AgentStatus["lastRun"];
  lastSuccessAt: string | null;
  retry: AgentStatus["retry"];
  progress: AgentStatus["progress"];
  updatedAt: string | null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by another user (a system service)
  }
}

export async function agentStatus(home: string): Promise<StatusView> {
  const s = await readStatus(home);
  if (!s) {
    return {
      agent: "never ran",
      pid: null,
      state: null,
      nextRunAt: null,
      lastRun: null,
      lastSuccessAt: null,
      retry: null,
      progress: null,
      updatedAt: null,
    };
  }
  const up = s.state !== "stopped" && alive(s.pid);
  return {
    agent: up ? "running" : "not running",
    pid: up ? s.pid : null,
    state: s.state,
    nextRunAt: up ? s.nextRunAt : null,
    lastRun: s.lastRun,
    lastSuccessAt: s.lastSuccessAt,
    retry: up ? s.retry : null,
    progress: up ? s.progress : null,
    updatedAt: s.updatedAt,
  };
}

const local = (isoTime: string | null) => (isoTime ? new Date(isoTime).toLocaleString("sv-SE") : "-");

export function describeStatus(v: StatusView): string {
  if (v.agent === "never ran") return "the agent has not run on this PC yet (start it with `datasafe run` or `datasafe service install`)";
  const lines = [`agent: ${v.agent}${v.pid ? ` (pid ${v.pid}, ${v.state})` : ""}`];
  if (v.progress) {
    const pct = v.progress.bytesTotal ? Math.floor((100 * v.progress.bytesDone) / v.progress.bytesTotal) : 0;
    lines.push(
      `backing up (${v.progress.trigger}) since ${local(v.progress.startedAt)}: ${mb(v.progress.bytesDone)} of ${mb(v.progress.bytesTotal)} read (${pct}%)`,
    );
  }
  if (v.retry) lines.push(`retrying (attempt ${v.retry.attempt}) at ${local(v.retry.at)}`);
  lines.push(`next run: ${local(v.nextRunAt)}`);
  const r = v.lastRun;
  lines.push(
    r
      ? `last run: ${local(r.finishedAt)} (${r.trigger}) ${r.result === "ok" ? `ok, restore point ${r.restorePointId}, ${r.files} files, ${mb(r.bytesUploaded)} uploaded${r.skipped ? `, ${r.skipped} files skipped (see the log)` : ""}` : `FAILED: ${r.error}`}`
      : "last run: none yet",
  );
  lines.push(`last success: ${local(v.lastSuccessAt)}`);
  return lines.join("\n");
}
