// End to end, DataSafe and restic on the same tree against the same S3 server, interleaved step
// by step (first backup by both, then re-runs by both, then the same edits, ...), and the tool
// going first alternating between repetitions, so neither gets systematically warmer caches or
// a quieter machine. Each repetition starts from a freshly generated (identical) tree, a new
// studio and a new restic repository; their objects are deleted afterwards. Every step starts
// once the DataSafe server has verified what it was sent before (integrity/verify-restore-point.ts re-reads
// each new chunk in the background): on this one machine that work would otherwise share the
// two cores with whichever tool runs next, where in production it runs on the server long
// before a studio restores. It also starts with the page cache flushed and the S3 server idle
// (proc.ts, quiesce): neither tool pays for the writes of the step before it.
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import type { BlobStore } from "../../server/storage/index.ts";
import type { TestServer } from "../support/server.ts";
import { dataSafeBackup, dataSafeRestore, dataSafeSettled, newDataSafeStudio } from "./datasafe-e2e.ts";
import { PHASES, type PhaseName, type PhaseResult } from "./phase.ts";
import { newResticRepo, resticBackup, resticRestore } from "./restic.ts";
import { processesCpuSec, quiesce } from "./proc.ts";
import { deletePrefix, type S3Env } from "./s3-env.ts";
import type { Scenario, ScenarioName } from "./scenarios.ts";
import { medianOf, MiB } from "./stats.ts";
import { treeDigests, type Dataset } from "./tree.ts";

export type Phases = Record<PhaseName, PhaseResult>;

/** Without an S3 server there is no Ceph to measure or wait for. */
const NO_CEPH = { names: [] };

export interface E2EReport {
  scenario: ScenarioName;
  title: string;
  /** How this scenario names the incremental step. */
  incremental: string;
  store: "s3" | "local";
  reps: number;
  treeMiB: number;
  files: number;
  edits: string;
  datasafe: Phases;
  restic: Phases | null;
  runs: Array<{ datasafe: Phases; restic: Phases | null }>;
}

interface Tool {
  name: "datasafe" | "restic";
  backup(ds: Dataset, label: string): Promise<PhaseResult>;
  restore(ds: Dataset, expected: Map<string, string>): Promise<PhaseResult>;
  /** Resolves once the tool's background work on the server (if any) is done. */
  settled(): Promise<void>;
  cleanup(): Promise<void>;
}

export interface E2EOptions {
  reps: number;
  seed: string;
  workDir: string;
  log: (line: string) => void;
}

async function tools(
  server: TestServer,
  s3: S3Env | null,
  store: BlobStore | null,
  tag: string,
  rep: number,
  workDir: string,
  withRestic: boolean,
): Promise<Tool[]> {
  const studio = await newDataSafeStudio(server, `${tag} ${rep}`);
  const out: Tool[] = [
    {
      name: "datasafe",
      backup: (ds, label) => dataSafeBackup(server, store, studio, ds, label),
      restore: (ds, expected) => dataSafeRestore(server, store, studio, ds, expected),
      settled: () => dataSafeSettled(server, studio),
      cleanup: async () => void (store && (await deletePrefix(store, studio.prefix))),
    },
  ];
  if (withRestic && s3 && store) {
    const repo = await newResticRepo(s3, server.env.S3_BUCKET!, `restic-${tag}-rep${rep}`, workDir);
    out.push({
      name: "restic",
      backup: (ds) => resticBackup(repo, store, ds),
      restore: (ds, expected) => resticRestore(repo, store, ds, expected, workDir),
      settled: () => Promise.resolve(),
      cleanup: () => deletePrefix(store, repo.prefix),
    });
  }
  // Alternate who goes first.
  return rep % 2 ? out.reverse() : out;
}

export async function runE2E(
  server: TestServer,
  s3: S3Env | null,
  store: BlobStore | null,
  withRestic: boolean,
  sc: Scenario,
  o: E2EOptions,
): Promise<E2EReport> {
  const runs: E2EReport["runs"] = [];
  let ds!: Dataset;
  let edits = "";
  for (let rep = 0; rep < o.reps; rep++) {
    const work = await mkdtemp(path.join(o.workDir, `e2e-${rep}-`));
    try {
      const t0 = performance.now();
      const prepared = await sc.prepare(work, o.seed);
      ds = prepared.ds;
      o.log(
        `  rep ${rep + 1}/${o.reps} ${sc.name}: ${ds.files} files, ${(ds.bytes / MiB).toFixed(0)} MiB generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      const ts = await tools(server, s3, store, sc.name, rep, work, withRestic);
      const got: Record<string, Partial<Phases>> = { datasafe: {}, restic: {} };
      const step = async (phase: PhaseName, fn: (t: Tool) => Promise<PhaseResult>) => {
        for (const t of ts) {
          for (const u of ts) await u.settled();
          // The S3 server's CPU is part of what each tool costs the machine.
          await quiesce(s3?.ceph ?? NO_CEPH);
          const store0 = await processesCpuSec(s3?.ceph ?? NO_CEPH);
          const r = await fn(t);
          const store1 = await processesCpuSec(s3?.ceph ?? NO_CEPH);
          r.storeCpuSec = store0 === null || store1 === null ? NaN : store1 - store0;
          got[t.name]![phase] = r;
          o.log(
            `  rep ${rep + 1}/${o.reps} ${sc.name} ${t.name.padEnd(8)} ${phase.padEnd(17)} ${(r.wallMs / 1000).toFixed(2).padStart(7)} s  ${r.mbps.toFixed(1).padStart(7)} MiB/s`,
          );
        }
      };
      await step("first backup", (t) => t.backup(ds, "first"));
      await step("unchanged re-run", (t) => t.backup(ds, "unchanged"));
      edits = await prepared.edit();
      await step("incremental", (t) => t.backup(ds, "incremental"));
      const expected = await treeDigests(ds);
      await step("restore (new PC)", (t) => t.restore(ds, expected));
      for (const t of ts) await t.cleanup();
      runs.push({ datasafe: got.datasafe as Phases, restic: ts.length > 1 ? (got.restic as Phases) : null });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  const med = (pick: (r: (typeof runs)[number]) => Phases | null): Phases | null => {
    if (!runs.every((r) => pick(r))) return null;
    return Object.fromEntries(PHASES.map((p) => [p, medianOf(runs.map((r) => pick(r)![p]))])) as Phases;
  };
  return {
    scenario: sc.name,
    title: sc.title,
    incremental: sc.incremental,
    store: s3 ? "s3" : "local",
    reps: o.reps,
    treeMiB: ds.bytes / MiB,
    files: ds.files,
    edits,
    datasafe: med((r) => r.datasafe)!,
    restic: med((r) => r.restic),
    runs,
  };
}
