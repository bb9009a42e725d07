// Storage layer entry point: the only module the rest of the server imports from storage. The
// object key layout is specified in object-keys.ts.

import type { BlobStore } from "./blob-store.ts";
import { LocalBlobStore } from "./local-store.ts";
import { type RetryOptions, RetryingStore } from "./retrying-store.ts";
import { type S3Config, S3BlobStore } from "./s3-store.ts";

export type { BlobStore } from "./blob-store.ts";
export type { DirectTransfer, PresignedPut, StoredObject } from "./direct.ts";
export { MAX_KEY_LENGTH, validateKey, validatePrefix } from "./blob-store.ts";
export * from "./errors.ts";
export type { RetryInfo, RetryOptions } from "./retrying-store.ts";
export type { S3Config } from "./s3-store.ts";
export { LocalBlobStore, RetryingStore, S3BlobStore };
export { objectKeyForChunk, objectKeyForPack } from "./object-keys.ts";

export type BlobStoreConfig = { kind: "local"; dir: string } | ({ kind: "s3" } & S3Config);

/** The configured store, wrapped so that transient failures are retried. */
export function createBlobStore(cfg: BlobStoreConfig, retry?: RetryOptions): BlobStore {
  const inner = cfg.kind === "local" ? new LocalBlobStore(cfg.dir) : new S3BlobStore(cfg);
  return new RetryingStore(inner, retry);
}
