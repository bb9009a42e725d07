// Where a CryptoPool's workers come from and how many there are.
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { getAsset, isSea } from "node:sea";

/** The worker's CommonJS bundle inside the single executable (scripts/package.mjs). */
export const WORKER_ASSET = "crypto-worker.cjs";

/**
 * Run as the single executable, the worker's code embedded in it (a string, run with `eval`). Run from the CLI bundle (dist/cli/datasafe.mjs), the worker bundle built with it from the same
 * sources (scripts/build.mjs); run from the TypeScript sources, the worker's sources through tsx
 * (a bundle could be older than them; each such worker carries a loader thread: ~50 MB).
 */
export function workerScript(): { script: URL | string; eval: boolean } {
  if (isSea()) return { script: getAsset(WORKER_ASSET, "utf8"), eval: true };
  const bundled = new URL("../../dist/crypto-worker.mjs", import.meta.url);
  const script = import.meta.url.includes("/dist/") && existsSync(bundled) ? bundled : new URL("./crypto-worker-boot.mjs", import.meta.url);
  return { script, eval: false };
}

/**
 * One worker per core beyond the main thread (which reads and uploads), at least 2 and at most 3:
 * each worker is a V8 isolate costing ~30 MB of RSS, and the uploader must stay under 300 MB
 * whatever the data. Two on a 2-core PC, so that one file's chunking never waits behind another
 * chunk's sealing on a single worker: a first backup took 3.18 s instead of 3.66 s (median of 3,
 * 256 MiB, against Ceph RGW, both variants interleaved in one run).
 */
export function defaultPoolSize(): number {
  return Math.min(3, Math.max(2, availableParallelism() - 1));
}
