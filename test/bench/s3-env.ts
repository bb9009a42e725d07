// The S3 server the end-to-end and ingest figures run against: the one in S3_* when set (as
// under `npm test`), else a Ceph RGW this bench starts with test/support/ceph-rgw.sh and stops
// afterwards. Also: sizing and emptying a key prefix, to report bytes stored and to keep the
// in-memory OSD (4 GiB) from filling up over repetitions.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createBlobStore, type BlobStore, type S3Config } from "../../server/storage/index.ts";
import { ROOT } from "../support/server.ts";
import type { ProcMatch } from "./proc.ts";
import { s3ConfigFromEnv } from "../support/s3.ts";

const exec = promisify(execFile);
const SCRIPT = path.join(ROOT, "test", "support", "ceph-rgw.sh");

export interface S3Env {
  /** Settings without a bucket: each user picks its own. */
  base: Omit<S3Config, "bucket">;
  startedHere: boolean;
  /** The Ceph processes of the cluster behind `base.endpoint` (whoever started it), for CPU figures and quiescing. */
  ceph: ProcMatch;
  stop(): Promise<void>;
}

const CEPH_NAMES = ["radosgw", "ceph-osd"];

/**
 * The configuration file of the Ceph RGW on this machine that serves `endpoint` (ceph-rgw.sh
 * starts every daemon with `-c <dir>/ceph.conf`, whose frontend line names the port); null when
 * that server is not a local ceph-rgw.sh cluster.
 */
async function cephConfFor(endpoint: string | undefined): Promise<string | null> {
  if (!endpoint) return null;
  const port = new URL(endpoint).port;
  for (const pid of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    if ((await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim() !== "radosgw") continue;
    const args = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
    const at = args.indexOf("-c");
    const conf = at < 0 ? undefined : args[at + 1];
    if (!conf) continue;
    if (new RegExp(`endpoint=[^\\s]*:${port}\\b`).test(await readFile(conf, "utf8").catch(() => ""))) return conf;
  }
  return null;
}

/** Our cluster's processes, or every Ceph process here when ours cannot be told apart. */
async function cephMatch(endpoint: string | undefined): Promise<ProcMatch> {
  const conf = await cephConfFor(endpoint);
  return conf ? { names: CEPH_NAMES, cmdline: conf } : { names: CEPH_NAMES };
}

export async function ensureS3(log: (line: string) => void): Promise<S3Env | null> {
  const existing = s3ConfigFromEnv("unused");
  if (existing) return { base: existing, startedHere: false, ceph: await cephMatch(existing.endpoint), stop: async () => undefined };
  let out = "";
  let dir = "";
  // Two attempts: on a loaded 2-core machine the single-node cluster sometimes loses a start-up race.
  for (let attempt = 1; attempt <= 2 && !out; attempt++) {
    dir = await mkdtemp(path.join(os.tmpdir(), "datasafe-bench-rgw-"));
    log(`starting Ceph RGW (test/support/ceph-rgw.sh), about 20 s${attempt > 1 ? " (second attempt)" : ""}`);
    try {
      ({ stdout: out } = await exec("bash", [SCRIPT, "start", dir], { timeout: 300_000 }));
    } catch (err) {
      log(`could not start Ceph RGW: ${(err as { stderr?: string }).stderr?.trim().split("\n").slice(-3).join(" | ") ?? String(err)}`);
      await exec("bash", [SCRIPT, "stop", dir]).catch(() => undefined);
    }
  }
  if (!out) return null;
  // startServer({ s3: true }) reads the S3 settings from the environment (test/support/s3.ts).
  for (const line of out.split("\n")) {
    const m = /^(S3_[A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) process.env[m[1]!] = m[2]!;
  }
  const base = s3ConfigFromEnv("unused");
  if (!base) throw new Error("ceph-rgw.sh printed no S3_ENDPOINT");
  return {
    base,
    startedHere: true,
    ceph: await cephMatch(base.endpoint),
    stop: async () => {
      await exec("bash", [SCRIPT, "stop", dir]).catch(() => undefined);
      for (const k of Object.keys(process.env)) if (k.startsWith("S3_")) delete process.env[k];
    },
  };
}

/** A store on `bucket` (created if missing), the same wrapped store the server uses. */
export async function s3Store(env: S3Env, bucket: string): Promise<BlobStore> {
  const store = createBlobStore({ kind: "s3", ...env.base, bucket });
  await store.init();
  return store;
}

export async function prefixBytes(store: BlobStore, prefix: string): Promise<{ bytes: number; objects: number }> {
  let bytes = 0;
  let objects = 0;
  for await (const o of store.list(prefix)) {
    bytes += o.size;
    objects++;
  }
  return { bytes, objects };
}

export async function deletePrefix(store: BlobStore, prefix: string): Promise<void> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  for (let i = 0; i < keys.length; i += 32) await Promise.all(keys.slice(i, i + 32).map((k) => store.delete(k)));
}
