// DataSafe end to end, as a studio runs it: the real `datasafe` CLI process against a real
// server process (its own database; S3 or a local directory). Enrolment is set-up, not timed.
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { newStudio, Pc } from "../support/cli.ts";
import { authOf, settled } from "../support/integrity.ts";
import { ROOT, type TestServer } from "../support/server.ts";
import { phase, type PhaseResult } from "./phase.ts";
import { verifyRestore, type Dataset } from "./tree.ts";
import { procCpuSec, procMemory, resetPeakRss, runMeasured } from "./proc.ts";
import { prefixBytes } from "./s3-env.ts";
import type { BlobStore } from "../../server/storage/index.ts";

export interface DataSafeStudio {
  studioId: string;
  pc: Pc;
  newPc: Pc;
  prefix: string;
}

async function enroll(pc: Pc, token: string, name: string): Promise<void> {
  const r = await pc.run(["enroll", "--token", token, "--name", name]);
  if (r.code !== 0) throw new Error(`datasafe enroll failed: ${r.stderr.slice(-500)}`);
}

/** A new studio (so nothing dedups against an earlier repetition) with a PC and a "new PC". */
export async function newDataSafeStudio(server: TestServer, tag: string): Promise<DataSafeStudio> {
  const studio = await newStudio(server, `Bench Studio ${tag}`);
  const pc = await Pc.create(server);
  const newPc = await Pc.create(server);
  await enroll(pc, await studio.token(), "front-desk");
  await enroll(newPc, await studio.token(), "new-pc");
  return { studioId: studio.studioId, pc, newPc, prefix: `studios/${studio.studioId}/` };
}

/** Runs the CLI once, measuring it and the server around it. */
async function measured(
  server: TestServer,
  store: BlobStore | null,
  prefix: string,
  treeBytes: number,
  pc: Pc,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
) {
  const spid = server.proc.pid!;
  // Without an S3 store there is no prefix to size: stored bytes are "not measured" (NaN).
  const before = store ? await prefixBytes(store, prefix) : { bytes: NaN };
  await resetPeakRss(spid);
  const cpu0 = (await procCpuSec(spid)) ?? 0;
  const m = await runMeasured(process.execPath, [path.join(ROOT, "bin", "datasafe.js"), "--json", ...args], {
    env: pc.env(extraEnv),
    cwd: ROOT,
  });
  if (m.code !== 0) throw new Error(`datasafe ${args[0]} failed (${m.code}): ${m.stderr.slice(-800)}`);
  const serverMem = await procMemory(spid);
  const cpu1 = (await procCpuSec(spid)) ?? cpu0;
  const after = store ? await prefixBytes(store, prefix) : { bytes: NaN };
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(m.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`datasafe ${args[0]} printed no JSON object (exit 0): ${m.stdout.slice(-300)} ${m.stderr.slice(-800)}`);
  }
  return {
    json,
    result: (sent: number, newChunks: number): PhaseResult =>
      phase(treeBytes, {
        wallMs: m.wallMs,
        sentBytes: sent,
        newChunks,
        storedBytes: after.bytes - before.bytes,
        clientPeakRssMiB: m.peakRssMiB,
        clientCpuSec: m.cpuSec,
        serverPeakRssMiB: serverMem?.hwmMiB ?? NaN,
        serverCpuSec: cpu1 - cpu0,
      }),
  };
}

export async function dataSafeBackup(
  server: TestServer,
  store: BlobStore | null,
  s: DataSafeStudio,
  ds: Dataset,
  label: string,
): Promise<PhaseResult> {
  // No passphrase in the environment: backups never need it (FORMAT.md), and must not ask.
  // --no-default-excludes: the photo library holds Capture One caches, which the defaults leave
  // out; both tools must back up (and the restore check find) the same bytes.
  const r = await measured(server, store, s.prefix, ds.bytes, s.pc, ["backup", ...ds.paths, "--label", label, "--no-default-excludes"], {
    DATASAFE_PASSPHRASE: "",
  });
  return r.result(Number(r.json.bytesUploaded ?? 0), Number(r.json.chunksUploaded ?? NaN));
}

export async function dataSafeRestore(
  server: TestServer,
  store: BlobStore | null,
  s: DataSafeStudio,
  ds: Dataset,
  expected: Map<string, string>,
): Promise<PhaseResult> {
  const to = await mkdtemp(path.join(server.dir, "restore-"));
  try {
    const r = await measured(server, store, s.prefix, ds.bytes, s.newPc, ["restore", "latest", "--to", to]);
    await verifyRestore(expected, to, "DataSafe");
    return r.result(0, 0);
  } finally {
    await rm(to, { recursive: true, force: true });
  }
}

/**
 * Waits until the server has verified (or found damaged) every restore point of the studio.
 * Not measured, so generous: re-reading a 20,000-file first backup took over 5 minutes on a
 * 2-core machine at load average 25.
 */
export async function dataSafeSettled(server: TestServer, s: DataSafeStudio): Promise<void> {
  await settled(server, await authOf(s.pc), 30 * 60_000);
}
