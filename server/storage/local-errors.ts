// The one place that turns what the file system throws into the store's errors (as s3-errors.ts
// does for S3): errno codes, by what a caller can do about them.
import {
  BlobExistsError,
  BlobNotFoundError,
  StorageAuthError,
  type StorageError,
  StorageUnavailableError,
  StorageUnknownError,
} from "./errors.ts";

export function isAbsent(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

export function translateErrno(e: unknown, key: string): StorageError {
  if (e instanceof Error && "transient" in e) return e as StorageError; // already ours
  const code = (e as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case "ENOENT":
    case "ENOTDIR":
    case "EISDIR":
      return new BlobNotFoundError(key, { cause: e });
    case "EEXIST":
      return new BlobExistsError(key, { cause: e });
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return new StorageAuthError(`local store: permission denied for ${key}`, { cause: e });
    // Out of descriptors or a busy device clears up by itself; retrying is reasonable.
    case "EMFILE":
    case "ENFILE":
    case "EAGAIN":
    case "EBUSY":
    case "EINTR":
      return new StorageUnavailableError(`local store: ${code} for ${key}`, { cause: e });
    default:
      return new StorageUnknownError(`local store: ${code ?? String(e)} for ${key}`, { cause: e });
  }
}
