// The one place where anything thrown becomes the server's error vocabulary (errors.ts): the
// error handler renders what this returns, a pack report answers it per chunk
// (services/direct-chunks.ts) and the admin CLI prints it. Services let storage errors pass
// (they are translated here, once), and Prisma's errors are read by db-errors.ts; anything
// unclassified is INTERNAL, and logged by the caller.
import { z } from "zod";
import { translateDbError } from "./db-errors.ts";
import { AppError, errors } from "./errors.ts";
import { BlobNotFoundError, IntegrityError, StorageError } from "./storage/errors.ts";

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof StorageError) return fromStorage(err);
  if (err instanceof z.ZodError) {
    const first = err.issues[0];
    return errors.validation(first ? `${first.path.join(".") || "body"}: ${first.message}` : "invalid request");
  }
  return translateDbError(err) ?? errors.internal();
}

/** Storage errors (storage/errors.ts) by class; a permanent one that is neither is a server fault. */
function fromStorage(err: StorageError): AppError {
  if (err instanceof BlobNotFoundError) return errors.blobMissing();
  if (err instanceof IntegrityError) return errors.storageIntegrity();
  if (err.transient) return errors.storageUnavailable();
  return errors.internal();
}
