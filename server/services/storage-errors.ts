// Storage errors (server/storage/errors.ts) mapped into the API's error vocabulary.
import { AppError, errors } from "../errors.ts";
import { BlobNotFoundError, IntegrityError, StorageError } from "../storage/errors.ts";

export function translateStorageError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof BlobNotFoundError) return new AppError("BLOB_MISSING", 500, "a stored object is missing");
  if (err instanceof IntegrityError) return new AppError("STORAGE_INTEGRITY", 502, "the blob store did not store the bytes sent");
  if (err instanceof StorageError && err.transient) return errors.storageUnavailable();
  return err;
}
