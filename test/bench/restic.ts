// restic 0.14 (Debian package), the peer DataSafe is measured against: same tree, same S3
// server, same run. Each "PC" has its own cache directory, so the restore onto a new PC starts
// cold as DataSafe's does. restic's own defaults otherwise (repository v2 with zstd compression,
// 2 file readers, 5 S3 connections).
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { BlobStore } from "../../server/storage/index.ts";
import { phase, type PhaseResult } from "./phase.ts";
import { verifyRestore, type Dataset } from "./tree.ts";
import { runMeasured } from "./proc.ts";
import { prefixBytes, type S3Env } from "./s3-env.ts";

const exec = promisify(execFile);

/** restic's version line, installing the Debian package if missing (apt-get). */
export async function ensureRestic(log: (line: string) => void, install: boolean): Promise<string | null> {
  const version = () =>
    exec("restic", ["version"]).then(
      (r) => r.stdout.trim(),
      () => null,
    );
  const have = await version();
  if (have || !install) return have;
  log("installing restic (apt-get install -y restic)");
  const apt = (args: string[]) => exec("apt-get", args, { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, timeout: 300_000 });
  // A fresh machine has empty package lists: update only when the first attempt fails.
  await apt(["install", "-y", "-qq", "restic"]).catch(() => apt(["update", "-qq"]).then(() => apt(["install", "-y", "-qq", "restic"])));
  return version();
}

export interface ResticRepo {
  repo: string;
  region: string;
  prefix: string;
  pcCache: string;
  newPcCache: string;
  env(cache: string): NodeJS.ProcessEnv;
}

const PASSWORD = "bench password, not for real data";

export async function newResticRepo(s3: S3Env, bucket: string, prefix: string, workDir: string): Promise<ResticRepo> {
  const env = (cache: string): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: workDir,
    RESTIC_PASSWORD: PASSWORD,
    RESTIC_CACHE_DIR: cache,
    AWS_ACCESS_KEY_ID: s3.base.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.base.secretAccessKey,
    AWS_DEFAULT_REGION: s3.base.region,
  });
  const r: ResticRepo = {
    repo: `s3:${s3.base.endpoint}/${bucket}/${prefix}`,
    region: s3.base.region,
    prefix: `${prefix}/`,
    pcCache: await mkdtemp(path.join(workDir, "restic-cache-pc-")),
    newPcCache: await mkdtemp(path.join(workDir, "restic-cache-newpc-")),
    env,
  };
  await exec("restic", [...globalArgs(r), "init"], { env: env(r.pcCache) });
  return r;
}

function globalArgs(r: ResticRepo): string[] {
  // Ceph on loopback has no wildcard DNS: path-style bucket URLs, like DataSafe's S3 client.
  return ["-r", r.repo, "-o", "s3.bucket-lookup=path", "-o", `s3.region=${r.region}`];
}

async function measured(r: ResticRepo, store: BlobStore, treeBytes: number, args: string[], cache: string) {
  const before = await prefixBytes(store, r.prefix);
  const m = await runMeasured("restic", [...globalArgs(r), ...args], { env: r.env(cache) });
  if (m.code !== 0) throw new Error(`restic ${args[0]} failed (${m.code}): ${m.stderr.slice(-800)}`);
  const after = await prefixBytes(store, r.prefix);
  return { m, stored: after.bytes - before.bytes, treeBytes };
}

/** The S3 server is Ceph's radosgw (no Node process); its CPU and RSS are not attributed here. */
const NO_SERVER = { serverPeakRssMiB: NaN, serverCpuSec: NaN };

export async function resticBackup(r: ResticRepo, store: BlobStore, ds: Dataset): Promise<PhaseResult> {
  const { m, stored } = await measured(r, store, ds.bytes, ["backup", "--json", "--host", "bench-pc", ...ds.paths], r.pcCache);
  const summary = m.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((o) => o.message_type === "summary");
  return phase(ds.bytes, {
    wallMs: m.wallMs,
    newChunks: Number(summary?.data_blobs ?? NaN),
    // restic 0.14's data_added counts bytes before compression; what it sends is what it stores
    // (packs, index, snapshot: each uploaded once), so the stored growth is the bytes sent.
    sentBytes: stored,
    storedBytes: stored,
    clientPeakRssMiB: m.peakRssMiB,
    clientCpuSec: m.cpuSec,
    ...NO_SERVER,
  });
}

export async function resticRestore(
  r: ResticRepo,
  store: BlobStore,
  ds: Dataset,
  expected: Map<string, string>,
  workDir: string,
): Promise<PhaseResult> {
  const to = await mkdtemp(path.join(workDir, "restic-restore-"));
  try {
    const { m, stored } = await measured(r, store, ds.bytes, ["restore", "latest", "--target", to], r.newPcCache);
    // restic restores absolute paths below the target: <to>/<dataset root>/<relative path>.
    await verifyRestore(expected, path.join(to, ds.root), "restic");
    return phase(ds.bytes, {
      wallMs: m.wallMs,
      sentBytes: 0,
      newChunks: 0,
      storedBytes: stored,
      clientPeakRssMiB: m.peakRssMiB,
      clientCpuSec: m.cpuSec,
      ...NO_SERVER,
    });
  } finally {
    await rm(to, { recursive: true, force: true });
  }
}
