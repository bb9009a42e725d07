import type { Readable } from "node:stream";
import { InvalidKeyError } from "./errors.ts";

/**
 * Where the server keeps opaque blobs (encrypted, compressed chunks chosen by the uploader; the
 * server never looks inside). One narrow interface, several implementations (local directory,
 * S3), and cross-cutting behaviour (retry) as decorators implementing the same interface
 * (restic's backend.Backend). Every implementation runs test/conformance/blobstore.test.ts.
 *
 * Keys are chosen by the server (see object-keys.ts), never by clients, and are
 * unique: a blob is written once and never modified. Keys MUST match KEY_PATTERN; methods
 * reject others with InvalidKeyError before touching the backend.
 *
 * Errors: methods reject only with StorageError subclasses from errors.ts (no vendor types),
 * except readRange, which rejects bad offsets and lengths (a caller's bug) with RangeError.
 * `err.transient` says whether retrying may help; RetryingStore relies on it.
 */
export interface BlobStore {
  /** "local" | "s3": for logs and metrics. */
  readonly name: string;

  /** Creates the bucket / directory if missing. Idempotent; safe to call at every start. */
  init(): Promise<void>;

  /** Readiness probe: resolves when the backend answers, else StorageUnavailableError
   * (or StorageAuthError when it answers but refuses our credentials). */
  ping(): Promise<void>;

  /**
   * Stores `data` under `key`. When it resolves the blob MUST be durable (fsynced / acknowledged
   * by the server) and its stored size (and MD5 on S3, via Content-MD5 and the ETag) MUST have
   * been verified, else IntegrityError: a store that silently keeps different bytes is the
   * corruption backups exist to prevent.
   * Put on an existing key MUST fail with BlobExistsError on the local store and SHOULD on S3
   * (conditional write, where the server honours If-None-Match: "*"); it never silently
   * replaces different content where the backend can prevent it.
   */
  put(key: string, data: Buffer): Promise<void>;

  /**
   * Optional (the local store has it): stores the bytes `source` yields under `key` as they
   * arrive, holding a bounded part of them (a relayed pack need not sit whole in memory), with
   * put's guarantees: durable when it resolves, exactly `size` bytes (else IntegrityError, also
   * as soon as the source yields more), BlobExistsError on an existing key. When `source` throws,
   * nothing is stored and its error propagates as it is (not as a StorageError). Never retried:
   * the bytes cannot be read twice.
   */
  putStream?(key: string, source: AsyncIterable<Buffer>, size: number): Promise<void>;

  /** A stream of the whole blob. BlobNotFoundError if absent (rejected, not emitted later). */
  get(key: string): Promise<Readable>;

  /** The whole blob in memory (chunks are small, at most ~4.1 MiB). BlobNotFoundError if absent. */
  read(key: string): Promise<Buffer>;

  /**
   * Bytes [offset, offset + length) of the blob, in memory (a chunk inside a pack object: at most
   * ~4.1 MiB). Fewer bytes when the blob ends earlier (none when it ends at or before `offset`):
   * the caller compares the length. BlobNotFoundError if absent. offset >= 0, length >= 1
   * (integers), else RangeError before touching the backend.
   */
  readRange(key: string, offset: number, length: number): Promise<Buffer>;

  /** Size of the blob, or null when absent (absence is an answer here, not an error). */
  stat(key: string): Promise<{ size: number } | null>;

  /** Removes the blob. Idempotent: deleting an absent key resolves. */
  delete(key: string): Promise<void>;

  /** Every blob whose key starts with `prefix`, in no guaranteed order, paging internally.
   * `prefix` follows the key syntax, except that it may be empty or end with "/". */
  list(prefix: string): AsyncIterable<{ key: string; size: number }>;
}

export const MAX_KEY_LENGTH = 512;
export const MAX_SEGMENT_LENGTH = 255;
// Portable across filesystems and S3 without escaping: no spaces, no "%", no "\", no unicode.
const KEY_PATTERN = /^[A-Za-z0-9/_.-]+$/;

/** Throws InvalidKeyError unless `key` is a safe, canonical blob key: [A-Za-z0-9/_.-], at most
 * 512 characters, "/"-separated non-empty segments of at most 255, no "..", no "." segment,
 * no leading or trailing "/". */
export function validateKey(key: string): void {
  validate(key, false);
}

/** Throws RangeError unless readRange's `offset` >= 0 and `length` >= 1 are safe integers. */
export function validateRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`readRange: offset must be an integer >= 0, got ${offset}`);
  if (!Number.isSafeInteger(length) || length < 1) throw new RangeError(`readRange: length must be an integer >= 1, got ${length}`);
  if (!Number.isSafeInteger(offset + length)) throw new RangeError(`readRange: offset + length exceeds ${Number.MAX_SAFE_INTEGER}`);
}

/** Same rules for list prefixes; "" (everything) is allowed. */
export function validatePrefix(prefix: string): void {
  if (prefix !== "") validate(prefix, true);
}

function validate(key: string, isPrefix: boolean): void {
  if (typeof key !== "string" || key.length === 0) throw new InvalidKeyError(String(key), "empty");
  if (key.length > MAX_KEY_LENGTH) throw new InvalidKeyError(key, `longer than ${MAX_KEY_LENGTH}`);
  if (!KEY_PATTERN.test(key)) throw new InvalidKeyError(key, "allowed characters are [A-Za-z0-9/_.-]");
  if (key.startsWith("/")) throw new InvalidKeyError(key, "leading '/'");
  if (key.includes("..")) throw new InvalidKeyError(key, "'..' is not allowed");
  // ".." could escape the local directory; "." and "" (from "//") make two spellings of one
  // path, which would break "a put on an existing key fails" on the local store.
  const segments = key.split("/");
  if (isPrefix && segments.at(-1) === "") segments.pop();
  for (const s of segments) {
    if (s === "" || s === ".") throw new InvalidKeyError(key, `bad segment ${JSON.stringify(s)}`);
    // NAME_MAX of common filesystems: the local store maps each segment to one file name.
    if (s.length > MAX_SEGMENT_LENGTH) throw new InvalidKeyError(key, `segment longer than ${MAX_SEGMENT_LENGTH}`);
  }
  if (!isPrefix && key.endsWith("/")) throw new InvalidKeyError(key, "trailing '/'");
}
