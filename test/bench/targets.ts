// Issue 6's targets, each checked against the figures of this one run. A target whose inputs
// were not measured (no restic, no S3) is "not measured", never "met".
import type { E2EReport } from "./e2e.ts";
import type { IngestReport } from "./ingest.ts";
import type { LookupReport } from "./lookup.ts";

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

export function evaluate(e2e: E2EReport | null, ingest: IngestReport[], lookup: LookupReport | null): Target[] {
  const ds = e2e?.datasafe;
  const rs = e2e?.restic;
  const speed = (p: keyof NonNullable<typeof ds>) => (ds && rs ? ds[p].mbps / rs[p].mbps : null);
  const x = (v: number) => `${v.toFixed(2)}x`;
  const out: Target[] = [
    check("first backup speed DataSafe/restic >= 1.0 (aim 1.8)", speed("first backup"), (v) => v >= 1, x),
    check("unchanged re-run speed DataSafe/restic >= 1.0", speed("unchanged re-run"), (v) => v >= 1, x),
    check("incremental: bytes stored DataSafe/restic <= 1.2", ds && rs ? ds.incremental.storedBytes / rs.incremental.storedBytes : null, (v) => v <= 1.2, x),
    check("restore speed DataSafe/restic >= 1.0 (aim 1.5)", speed("restore (new PC)"), (v) => v >= 1, x),
    check("uploader peak RSS < 300 MB (all phases)", ds ? Math.max(...Object.values(ds).map((p) => p.clientPeakRssMiB)) : null, (v) => v < MB300, (v) => `${v.toFixed(0)} MiB`),
    check("server peak RSS < 300 MB (e2e phases and ingest)", ds ? Math.max(...Object.values(ds).map((p) => p.serverPeakRssMiB), ...ingest.map((i) => i.serverPeakRssMiB)) : null, (v) => v < MB300, (v) => `${v.toFixed(0)} MiB`),
  ];
  for (const i of ingest) {
    out.push(check(`ingest, ${i.clients} uploaders, ${i.store}: >= 0.6x raw store, 0 errors`, i.errors ? -1 : i.ratio, (v) => v >= 0.6, (v) => (v < 0 ? `${i.errors} errors` : `${v.toFixed(2)}x (${i.ingestMBps.toFixed(0)}/${i.rawMBps.toFixed(0)} MiB/s)`)));
  }
  out.push(check(`support lookup p99 < 20 ms (${lookup ? `${lookup.studios} studios x ${lookup.days} days` : "-"})`, lookup?.serverTime.p99 ?? null, (v) => v < 20, (v) => `${v.toFixed(1)} ms`));
  return out;
}
