// What every service needs, built once per process by main.ts (or by a test) and passed down.
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import type { Db } from "./db.ts";
import type { Logger } from "./logger.ts";
import type { BlobStore } from "./storage/blob-store.ts";
import type { DirectTransfer } from "./storage/direct.ts";

/** Background work a service may request; enqueueing never fails the caller's operation. */
export interface Jobs {
  /** `generation`: RestorePoint.verifyGeneration of the request (0 for a fresh commit). */
  verifyRestorePoint(job: { studioId: string; restorePointId: string; generation?: number }): Promise<void>;
}

/**
 * Counters shared by every API replica, each living `windowSeconds` from its first hit (Redis):
 * the sign-in limits. A counter that cannot be reached throws, and the caller refuses the attempt
 * (a limit that fails open is no limit).
 */
export interface Counters {
  /** Adds one to `key`; returns the count in the current window and the milliseconds it has left. */
  hit(key: string, windowSeconds: number): Promise<{ count: number; resetMs: number }>;
}

export interface Ctx {
  config: Config;
  db: Db;
  blobs: BlobStore;
  /** Presigned URLs to the blob store's objects; absent when clients must go through the API. */
  direct?: DirectTransfer;
  log: Logger;
  jobs: Jobs;
  counters: Counters;
  /** Every time a service stores for retention, collection, quotas or alerts to read comes from here. */
  clock: Clock;
}
