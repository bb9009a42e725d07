// The printed tables. Every figure in them is also in the JSON file; this file only formats.
import type { E2EReport } from "./e2e.ts";
import type { IngestReport } from "./ingest.ts";
import type { LookupReport } from "./lookup.ts";
import type { Machine } from "./machine.ts";
import { PHASES, type PhaseResult } from "./phase.ts";
import type { StagesReport } from "./stages.ts";
import type { Target } from "./targets.ts";
import { MiB } from "./stats.ts";

export interface BenchReport {
  startedAt: string;
  durationSec: number;
  machine: Machine;
  options: Record<string, unknown>;
  notes: string[];
  stages: StagesReport | null;
  /** One per end-to-end scenario run (`--scenario`), in the order run. */
  e2e: E2EReport[];
  ingest: IngestReport[];
  lookup: LookupReport | null;
  targets: Target[];
}

const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : "-");
const row = (cells: string[], widths: number[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  return [row(head, widths), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map((r) => row(r, widths))].join("\n");
}

function phaseCells(p: PhaseResult): string[] {
  return [
    f(p.wallMs / 1000, 2),
    f(p.mbps),
    f(p.sentBytes / MiB),
    f(p.storedBytes / MiB),
    f(p.newChunks, 0),
    f(p.clientPeakRssMiB, 0),
    f(p.clientCpuSec, 1),
    f(p.serverPeakRssMiB, 0),
    f(p.serverCpuSec, 1),
    f(p.storeCpuSec, 1),
  ];
}

export function render(r: BenchReport): string {
  const m = r.machine;
  const out: string[] = [
    `DataSafe bench  ${r.startedAt}  (${f(r.durationSec, 0)} s)`,
    `machine: ${m.cores} cores ${m.cpu}, ${m.memGiB} GiB, Node ${m.node}, ${m.platform}`,
    `load average at start ${m.loadAvgStart.join(" ")}, at end ${m.loadAvgEnd?.join(" ") ?? "-"} (other work on this machine shares the cores)`,
    `options: ${Object.entries(r.options)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(" ")}`,
    ...r.notes.map((n) => `note: ${n}`),
  ];
  if (r.stages) {
    const s = r.stages;
    out.push(
      "",
      `1. Pipeline stages alone, one core, ${f(s.sampleMiB, 0)} MiB sample of the tree, median of ${s.reps}`,
      table(
        ["stage", "MiB/s", "note"],
        s.stages.map((x) => [x.name, f(x.mbps, 0), x.note ?? ""]),
      ),
      `implied backup pipeline limit (read+chunk+id+compress+encrypt): 1 core ${f(s.limit1Core, 0)} MiB/s, 2 cores ${f(s.limit2Cores, 0)} MiB/s`,
    );
  }
  for (const [i, e] of r.e2e.entries()) {
    out.push(
      "",
      `${i ? "" : "2-3. "}End to end, ${e.scenario}: ${e.title}; real CLI processes and server, store ${e.store === "s3" ? "S3 (Ceph RGW)" : "local directory"}, tree ${f(e.treeMiB, 0)} MiB in ${e.files} files, median of ${e.reps}`,
      `   edits before the ${e.incremental}: ${e.edits}`,
    );
    const rows: string[][] = [];
    for (const p of PHASES) {
      rows.push([p === "incremental" ? e.incremental : p, "DataSafe", ...phaseCells(e.datasafe[p])]);
      if (e.restic) {
        rows.push(["", "restic", ...phaseCells(e.restic[p])]);
        const d = e.datasafe[p];
        const q = e.restic[p];
        const ratio = (a: number, b: number) => (b > 0 ? `${f(a / b, 2)}x` : "-");
        rows.push([
          "",
          "DS/restic",
          ratio(d.wallMs, q.wallMs),
          ratio(d.mbps, q.mbps),
          ratio(d.sentBytes, q.sentBytes),
          ratio(d.storedBytes, q.storedBytes),
          "",
          ratio(d.clientPeakRssMiB, q.clientPeakRssMiB),
          ratio(d.clientCpuSec, q.clientCpuSec),
          "",
          "",
          ratio(d.storeCpuSec, q.storeCpuSec),
        ]);
      }
    }
    out.push(
      table(
        [
          "phase",
          "tool",
          "time s",
          "MiB/s",
          "sent MiB",
          "stored MiB",
          "new chunks",
          "client RSS MiB",
          "client CPU s",
          "server RSS MiB",
          "server CPU s",
          "S3 server CPU s",
        ],
        rows,
      ),
    );
  }
  if (r.ingest.length) {
    out.push(
      "",
      `4. Server ingest, concurrent uploaders (one device each) sending packs vs the raw store, same objects (the packs) and concurrency; median of ${r.ingest[0]!.reps} paired rounds (ABBA) after a warm-up round`,
      table(
        [
          "store",
          "clients",
          "chunks in packs",
          "MiB",
          "raw MiB/s",
          "ingest MiB/s",
          "ratio",
          "errors",
          "429 answers",
          "server RSS MiB",
          "server CPU s",
          "uploaders CPU s",
          "missing p50/p99 ms (load)",
          "(idle)",
        ],
        r.ingest.map((i) => [
          i.store,
          String(i.clients),
          `${i.chunks} in ${i.objects}`,
          f(i.MiB, 0),
          f(i.rawMBps, 0),
          f(i.ingestMBps, 0),
          `${f(i.ratio, 2)}x (${i.ratios.map((x) => f(x, 2)).join(" ")})`,
          String(i.errors),
          String(i.busyAnswers),
          f(i.serverPeakRssMiB, 0),
          f(i.serverCpuSec, 1),
          f(i.uploadersCpuSec, 1),
          `${f(i.missingUnderLoad.p50)}/${f(i.missingUnderLoad.p99)}`,
          `${f(i.missingIdle.p50)}/${f(i.missingIdle.p99)}`,
        ]),
      ),
    );
  }
  if (r.lookup) {
    const l = r.lookup;
    out.push(
      "",
      `5. Support lookup: ${l.studios} studios x ${l.days} restore points = ${l.rows} rows (seeded in ${f(l.seedMs / 1000)} s)`,
      table(
        ["query", "p50 ms", "p99 ms", "n"],
        [
          [
            "latest restore point, server time (service call via Prisma)",
            f(l.serverTime.p50, 2),
            f(l.serverTime.p99, 2),
            String(l.serverTime.n),
          ],
          ["GET /v1/restore-points/latest over HTTP (auth included)", f(l.http.p50, 2), f(l.http.p99, 2), String(l.http.n)],
          ["GET /v1/restore-points (list, 100 newest)", f(l.list.p50, 2), f(l.list.p99, 2), String(l.list.n)],
          [
            "studio summary, server time (GET /v1/studios/:studioId's service + presenter)",
            f(l.summary.p50, 2),
            f(l.summary.p99, 2),
            String(l.summary.n),
          ],
        ],
      ),
      `   plan: ${l.plan
        .split(" | ")
        .filter((s) => /Scan|Sort Key|Execution/.test(s))
        .join("; ")}`,
    );
  }
  out.push(
    "",
    "Targets (issue 6: studio, ingest, lookup; issue 17: photos, dumps), ratios from this run",
    table(
      ["target", "measured", "status"],
      r.targets.map((t) => [t.target, t.measured, t.status]),
    ),
  );
  return out.join("\n");
}
