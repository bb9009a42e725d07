// The torture report: one entry per scenario (load, faults injected, outcome), written as JSON
// and as a Markdown table, and printed.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { StatusLog } from "./balancer.ts";

export interface ScenarioReport {
  name: string;
  load: string;
  faults: Record<string, number>;
  dataLost: number;
  missingChunks: number;
  orphans: number;
  /** 5xx answers from an API process (500s are bugs; 503s must carry Retry-After). */
  fiveXx: number;
  status: StatusLog;
  /** From the last fault to every restore point verified again, in ms (null: not applicable). */
  timeToRecoverMs: number | null;
  /** Scenario-specific figures (bit rot: detection). */
  details: Record<string, unknown>;
  /** What must be zero and was not, in words; empty when the scenario passed. */
  failures: string[];
  durationMs: number;
}

export interface TortureReport {
  seed: string;
  profile: string;
  startedAt: string;
  wallMs: number;
  scenarios: ScenarioReport[];
  ok: boolean;
}

export function markdown(r: TortureReport): string {
  const rows = r.scenarios.map((s) =>
    [
      s.name,
      s.load,
      Object.entries(s.faults)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ") || "none",
      s.dataLost,
      s.missingChunks,
      s.orphans,
      s.fiveXx,
      s.timeToRecoverMs === null ? "-" : `${(s.timeToRecoverMs / 1000).toFixed(1)} s`,
      s.failures.length ? `FAIL: ${s.failures.join("; ")}` : "ok",
    ].join(" | "),
  );
  return [
    `# Torture report (profile ${r.profile}, seed ${r.seed})`,
    "",
    `Started ${r.startedAt}, wall time ${(r.wallMs / 1000).toFixed(1)} s: ${r.ok ? "all scenarios passed" : "FAILED"}.`,
    "",
    "| scenario | load | faults injected | data lost | missing chunks | orphans | 5xx | time to recover | outcome |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows.map((row) => `| ${row} |`),
    "",
  ].join("\n");
}

export async function writeReport(r: TortureReport, dir: string): Promise<{ json: string; md: string }> {
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, "torture-report.json");
  const md = path.join(dir, "torture-report.md");
  await writeFile(json, JSON.stringify(r, null, 2) + "\n");
  await writeFile(md, markdown(r));
  return { json, md };
}

/** 5xx answers in a status log (the balancer's own "no API up" answers are not the API's). */
export function fiveXxOf(log: StatusLog): number {
  return Object.entries(log.byStatus)
    .filter(([s]) => Number(s) >= 500)
    .reduce((n, [, c]) => n + c, 0);
}
