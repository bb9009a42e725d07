// `npm run bench`: every performance figure of issue 6 in one command, as ratios measured in
// one run on this machine (see test/bench/). Flags:
//   --scenario a,b      end-to-end scenarios: studio (database backup + large photos, --size),
//                       photos (photo library of --files small files), dumps (database dumps, --size);
//                       default studio,photos
//   --size MiB          synthetic studio / dumps tree size (default 256)
//   --files N           photo library file count (default 20000)
//   --reps N            repetitions of the end-to-end runs, stage timings and ingest rounds; medians reported (3)
//   --json FILE         where to write all figures (bench-results/latest.json)
//   --clients N --chunks-per-client N   ingest load (50 x 6)
//   --lookup-studios N  studios seeded for the support lookup, 365 days each (1000);
//   --full-lookup       the scale: 10,000 studios x 365 = 3.65 M rows (seeding ~1-4 min)
//   --only a,b          run only some of: stages,e2e,ingest,lookup
//                       (or gc: the collector's mark at 365 restore points x 200,000 references,
//                       test/bench/gc-mark.ts, then a small repack, test/bench/gc-repack.ts; not in the
//                       default; their figures print, not in the report)
//   --no-restic --no-s3 --no-install    skip the peer, the S3 server, or installing restic
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { generate } from "../test/bench/dataset.ts";
import { runE2E, type E2EReport } from "../test/bench/e2e.ts";
import { parseScenarios, scenario } from "../test/bench/scenarios.ts";
import { localRawStore, measureIngest, type IngestReport } from "../test/bench/ingest.ts";
import { measureLookup, type LookupReport } from "../test/bench/lookup.ts";
import { machine } from "../test/bench/machine.ts";
import { quiesce } from "../test/bench/proc.ts";
import { render, type BenchReport } from "../test/bench/report.ts";
import { ensureRestic } from "../test/bench/restic.ts";
import { deletePrefix, ensureS3, s3Store } from "../test/bench/s3-env.ts";
import { measureStages, type StagesReport } from "../test/bench/stages.ts";
import { evaluate } from "../test/bench/targets.ts";
import { ROOT, startServer, type TestServer } from "../test/support/server.ts";

const { values: a } = parseArgs({
  options: {
    scenario: { type: "string", default: "studio,photos" },
    size: { type: "string", default: "256" },
    files: { type: "string", default: "20000" },
    reps: { type: "string", default: "3" },
    json: { type: "string", default: path.join(ROOT, "bench-results", "latest.json") },
    clients: { type: "string", default: "50" },
    "chunks-per-client": { type: "string", default: "6" },
    "lookup-studios": { type: "string" },
    "full-lookup": { type: "boolean", default: false },
    only: { type: "string", default: "stages,e2e,ingest,lookup" },
    "no-restic": { type: "boolean", default: false },
    "no-s3": { type: "boolean", default: false },
    "no-install": { type: "boolean", default: false },
  },
});
const num = (k: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${k} must be a positive number`);
  return n;
};
const sizeMiB = num("size", a.size);
const files = Math.round(num("files", a.files));
const scenarios = parseScenarios(a.scenario);
const reps = Math.round(num("reps", a.reps));
const only = new Set(a.only.split(","));
const lookupStudios = a["full-lookup"] ? 10_000 : Math.round(num("lookup-studios", a["lookup-studios"] ?? "1000"));
const SEED = "datasafe-bench-v1";
const log = (line: string) => process.stderr.write(`${line}\n`);

// Rebuild the CLI bundle first, as `npm test` does: with a source newer than dist/, bin/datasafe.js
// runs the TypeScript sources through tsx instead, ~2 s slower per command and larger in memory,
// and the bench would measure that (it did once: every DataSafe step 2-3x slower than restic).
execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: ROOT, stdio: "inherit" });

const started = Date.now();
const mach = machine();
log(
  `bench: ${mach.cores} cores, load average ${mach.loadAvgStart.join(" ")}; scenarios ${scenarios.join(",")}, tree ${sizeMiB} MiB, photo library ${files} files, ${reps} reps`,
);
const notes: string[] = [];
const workDir = await mkdtemp(path.join(os.tmpdir(), "datasafe-bench-"));
// The server accepts device tokens signed with this secret: the bench mints them for seeded devices.
const jwtSecret = randomBytes(32).toString("hex");
const servers: TestServer[] = [];
const s3 = a["no-s3"] || !(only.has("e2e") || only.has("ingest")) ? null : await ensureS3(log);
if (!s3 && !a["no-s3"]) notes.push("no S3 server could be started: end to end runs on the local directory store, without restic");

let stages: StagesReport | null = null;
const e2e: E2EReport[] = [];
const ingest: IngestReport[] = [];
let lookup: LookupReport | null = null;
try {
  if (only.has("stages")) {
    log("stages ...");
    const ds = await generate(path.join(workDir, "stages-tree"), sizeMiB, SEED);
    stages = await measureStages(ds, { sampleMiB: Math.min(64, sizeMiB), reps });
    await rm(ds.root, { recursive: true, force: true });
  }
  // One server on S3 (when there is one) serves the end-to-end runs, S3 ingest and the lookup.
  const main = await startServer({ s3: Boolean(s3), env: { JWT_SECRET: jwtSecret } });
  servers.push(main);
  const mainStore = s3 ? await s3Store(s3, main.env.S3_BUCKET!) : null;
  if (only.has("e2e")) {
    const resticVersion = a["no-restic"] || !s3 ? null : await ensureRestic(log, !a["no-install"]);
    if (resticVersion) notes.push(`peer: ${resticVersion}`);
    else if (!a["no-restic"]) notes.push("restic is not available: no peer comparison");
    for (const name of scenarios) {
      log(`end to end, ${name} ...`);
      e2e.push(
        await runE2E(main, s3, mainStore, Boolean(resticVersion), scenario(name, { sizeMiB, files }), { reps, seed: SEED, workDir, log }),
      );
    }
  }
  if (only.has("ingest")) {
    const opts = {
      clients: Math.round(num("clients", a.clients)),
      chunksPerClient: Math.round(num("chunks-per-client", a["chunks-per-client"])),
      reps,
      jwtSecret,
    };
    // What the end-to-end runs left (the S3 server's deletions, Postgres's own writes) must not
    // share the cores with the ingest rounds.
    const waited = (s3 ? (await quiesce(s3.ceph)).waitedMs : 0) + (await quiesce({ names: ["postgres"] })).waitedMs;
    log(`ingest, local directory store (after ${waited} ms waiting for a quiet machine) ...`);
    const local = await startServer({ env: { JWT_SECRET: jwtSecret } });
    servers.push(local);
    const raw = await localRawStore(local);
    ingest.push(await measureIngest(local, raw.store, "local directory", opts));
    await raw.cleanup();
    if (s3 && mainStore) {
      log("ingest, S3 (Ceph RGW) ...");
      // Raw objects go to the server's own bucket under bench/: same store, same bucket.
      ingest.push(await measureIngest(main, mainStore, "S3 (Ceph RGW)", opts));
      await deletePrefix(mainStore, "bench/");
    }
  }
  if (only.has("lookup")) {
    log(`support lookup: seeding ${lookupStudios} studios x 365 restore points ...`);
    lookup = await measureLookup(main, { studios: lookupStudios, days: 365, queries: 1000, jwtSecret });
  }
  if (only.has("gc")) {
    log("garbage collection mark: 365 restore points x 200,000 references (test/bench/gc-mark.ts) ...");
    execFileSync(process.execPath, ["--import", "tsx", "test/bench/gc-mark.ts"], { cwd: ROOT, stdio: "inherit" });
    log("garbage collection repack: 50 packs x 64 chunks x 16 KiB, 70 % dead (test/bench/gc-repack.ts) ...");
    execFileSync(process.execPath, ["--import", "tsx", "test/bench/gc-repack.ts"], { cwd: ROOT, stdio: "inherit" });
  }
} finally {
  for (const s of servers) await s.stop().catch(() => undefined);
  await s3?.stop();
  await rm(workDir, { recursive: true, force: true });
}

mach.loadAvgEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
if (e2e.length)
  notes.push(
    "end-to-end MiB/s = tree bytes / wall time of the client process (start-up, key derivation and commit included); source files are in the page cache for both tools",
  );
if (e2e.length)
  notes.push(
    "each end-to-end step (either tool) starts once the DataSafe server has verified the restore points it holds: that background re-read would otherwise share the 2 cores with the next step; the server CPU figures stop when the client exits, so they do not include that verification",
  );
if (e2e.length)
  notes.push(
    "server RSS/CPU: the DataSafe server process (API + worker, which verifies each new restore point in the background); restic talks to Ceph directly, so it has no server figures",
  );
const report: BenchReport = {
  startedAt: new Date(started).toISOString(),
  durationSec: (Date.now() - started) / 1000,
  machine: mach,
  options: { scenarios: scenarios.join(","), sizeMiB, files, reps, lookupStudios, only: [...only].join(",") },
  notes,
  stages,
  e2e,
  ingest,
  lookup,
  targets: evaluate(e2e, ingest, lookup),
};
await mkdir(path.dirname(path.resolve(a.json)), { recursive: true });
await writeFile(a.json, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${render(report)}\n\nall figures: ${a.json}\n`);
