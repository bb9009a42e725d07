// Storage errors (server/storage/errors.ts) mapped into the API's error vocabulary.
import { AppError, errors } from "../errors.ts";
import { BlobNotFoundError, IntegrityError, StorageError } from "../storage/errors.ts";

export function translateStorageError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  // 410, not 5xx: retrying cannot bring the object back (clients retry 5xx). The integrity checks
  // mark such a chunk damaged, and the next backup that still has the data repairs it.
  if (err instanceof BlobNotFoundError) return new AppError("BLOB_MISSING", 410, "the stored data of this chunk is missing on the server");
  if (err instanceof IntegrityError) return new AppError("STORAGE_INTEGRITY", 502, "the blob store did not store the bytes sent");
  if (err instanceof StorageError && err.transient) return errors.storageUnavailable();
  return err;
}
