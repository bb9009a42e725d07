// Issue 6's targets (the synthetic studio, ingest, lookup) and issue 17's (the photo library,
// the database dumps), each checked against the figures of this one run. A target whose inputs
// were not measured (no restic, no S3, scenario not run) is "not measured", never "met".
import type { E2EReport } from "./e2e.ts";
import type { IngestReport } from "./ingest.ts";
import type { LookupReport } from "./lookup.ts";
import type { PhaseName, PhaseResult } from "./phase.ts";

export interface Target {
  target: string;
  measured: string;
  status: "met" | "NOT MET" | "not measured";
}

const MB300 = 300e6 / 2 ** 20; // 300 MB in MiB

function check(target: string, value: number | null, ok: (v: number) => boolean, show: (v: number) => string): Target {
  if (value === null || !Number.isFinite(value)) return { target, measured: "-", status: "not measured" };
  return { target, measured: show(value), status: ok(value) ? "met" : "NOT MET" };
}

const x = (v: number) => `${v.toFixed(2)}x`;
const mib = (v: number) => `${v.toFixed(0)} MiB`;
const peak = (ps: PhaseResult[], pick: (p: PhaseResult) => number) => (ps.length ? Math.max(...ps.map(pick)) : null);

/** Issue 6, on the synthetic studio: speed ratios (higher is better) and bytes stored. */
function studioTargets(e: E2EReport | undefined, ingest: IngestReport[]): Target[] {
  const ds = e?.datasafe;
  const rs = e?.restic;
  const speed = (p: PhaseName) => (ds && rs ? ds[p].mbps / rs[p].mbps : null);
  const all = ds ? Object.values(ds) : [];
  return [
    check("studio: first backup speed DataSafe/restic >= 1.0 (aim 1.8)", speed("first backup"), (v) => v >= 1, x),
    check("studio: unchanged re-run speed DataSafe/restic >= 1.0", speed("unchanged re-run"), (v) => v >= 1, x),
    check(
      "studio: incremental: bytes stored DataSafe/restic <= 1.2",
      ds && rs ? ds.incremental.storedBytes / rs.incremental.storedBytes : null,
      (v) => v <= 1.2,
      x,
    ),
    check("studio: restore speed DataSafe/restic >= 1.0 (aim 1.5)", speed("restore (new PC)"), (v) => v >= 1, x),
    check(
      "studio: uploader peak RSS < 300 MB (all phases)",
      peak(all, (p) => p.clientPeakRssMiB),
      (v) => v < MB300,
      mib,
    ),
    check(
      "studio: server peak RSS < 300 MB (e2e phases and ingest)",
      e || ingest.length ? Math.max(...all.map((p) => p.serverPeakRssMiB), ...ingest.map((i) => i.serverPeakRssMiB)) : null,
      (v) => v < MB300,
      mib,
    ),
  ];
}

/** Issue 17 on the photo library: wall-time ratios (lower is better), memory of both client sides. */
function photoTargets(e: E2EReport): Target[] {
  const ds = e.datasafe;
  const rs = e.restic;
  const time = (p: PhaseName) => (rs ? ds[p].wallMs / rs[p].wallMs : null);
  const aim = (limit: number, goal: number) => (v: number) =>
    `${x(v)}${v <= limit ? `, aim ${goal}x ${v <= goal ? "reached" : "not reached"}` : ""}`;
  const backups = [ds["first backup"], ds["unchanged re-run"], ds.incremental];
  return [
    check("photos: first backup time DataSafe/restic <= 1.0 (aim 0.5)", time("first backup"), (v) => v <= 1, aim(1, 0.5)),
    check("photos: unchanged re-run time DataSafe/restic <= 0.5", time("unchanged re-run"), (v) => v <= 0.5, x),
    check("photos: 1 %-touched re-run time DataSafe/restic <= 0.5", time("incremental"), (v) => v <= 0.5, x),
    check("photos: restore time DataSafe/restic <= 1.0 (aim 0.5)", time("restore (new PC)"), (v) => v <= 1, aim(1, 0.5)),
    check(
      "photos: uploader peak RSS < 300 MB (backups)",
      peak(backups, (p) => p.clientPeakRssMiB),
      (v) => v < MB300,
      mib,
    ),
    check("photos: restorer peak RSS < 300 MB", ds["restore (new PC)"].clientPeakRssMiB, (v) => v < MB300, mib),
    check(
      "photos: server peak RSS < 300 MB",
      peak(Object.values(ds), (p) => p.serverPeakRssMiB),
      (v) => v < MB300,
      mib,
    ),
  ];
}

/** Issue 17's large-file targets on the dumps: speed ratios (higher is better). */
function dumpTargets(e: E2EReport): Target[] {
  const ds = e.datasafe;
  const rs = e.restic;
  const speed = (p: PhaseName) => (rs ? ds[p].mbps / rs[p].mbps : null);
  return [
    check("dumps: first backup speed DataSafe/restic >= 1.5", speed("first backup"), (v) => v >= 1.5, x),
    check("dumps: incremental after scattered edits speed DataSafe/restic >= 1.5", speed("incremental"), (v) => v >= 1.5, x),
    check("dumps: restore speed DataSafe/restic >= 1.2", speed("restore (new PC)"), (v) => v >= 1.2, x),
    check(
      "dumps: uploader and restorer peak RSS < 300 MB",
      peak(Object.values(ds), (p) => p.clientPeakRssMiB),
      (v) => v < MB300,
      mib,
    ),
  ];
}

export function evaluate(e2e: E2EReport[], ingest: IngestReport[], lookup: LookupReport | null): Target[] {
  const of = (name: string) => e2e.find((e) => e.scenario === name);
  const photos = of("photos");
  const dumps = of("dumps");
  const out: Target[] = [
    ...studioTargets(of("studio"), ingest),
    ...(photos ? photoTargets(photos) : []),
    ...(dumps ? dumpTargets(dumps) : []),
  ];
  for (const i of ingest) {
    out.push(
      check(
        `ingest, ${i.clients} uploaders, ${i.store}: >= 0.6x raw store, 0 errors`,
        i.errors ? -1 : i.ratio,
        (v) => v >= 0.6,
        (v) => (v < 0 ? `${i.errors} errors` : `${v.toFixed(2)}x (${i.ingestMBps.toFixed(0)}/${i.rawMBps.toFixed(0)} MiB/s)`),
      ),
    );
  }
  out.push(
    check(
      `support lookup p99 < 20 ms (${lookup ? `${lookup.studios} studios x ${lookup.days} days` : "-"})`,
      lookup?.serverTime.p99 ?? null,
      (v) => v < 20,
      (v) => `${v.toFixed(1)} ms`,
    ),
  );
  out.push(
    check(
      `studio summary p99 < 20 ms, server time (issue 19; ${lookup ? `${lookup.studios} studios x ${lookup.days} days` : "-"})`,
      lookup?.summary.p99 ?? null,
      (v) => v < 20,
      (v) => `${v.toFixed(1)} ms`,
    ),
  );
  return out;
}
