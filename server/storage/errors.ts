// The storage layer's error vocabulary. Every BlobStore implementation translates its vendor's
// errors into these classes where the vendor is imported (kopia's translateError habit), so
// nothing above server/storage ever sees an SDK or errno type. Retry policy is decided only by
// `transient`: permanent errors (not found, exists, invalid key, integrity, auth) are never
// retried, because trying again cannot change their outcome.

export abstract class StorageError extends Error {
  /** Stable identifier for logs and the API error table. */
  abstract readonly code: string;
  /** True when the same call may succeed later (network, 5xx, throttling). */
  abstract readonly transient: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class BlobNotFoundError extends StorageError {
  readonly code = "blob_not_found";
  readonly transient = false;
  readonly key: string;
  constructor(key: string, options?: { cause?: unknown }) {
    super(`blob not found: ${key}`, options);
    this.key = key;
  }
}

export class BlobExistsError extends StorageError {
  readonly code = "blob_exists";
  readonly transient = false;
  readonly key: string;
  constructor(key: string, options?: { cause?: unknown }) {
    super(`blob already exists: ${key}`, options);
    this.key = key;
  }
}

export class InvalidKeyError extends StorageError {
  readonly code = "invalid_key";
  readonly transient = false;
  readonly key: string;
  constructor(key: string, reason: string) {
    super(`invalid blob key ${JSON.stringify(key.slice(0, 80))}: ${reason}`);
    this.key = key;
  }
}

/** The store kept different bytes than we sent (size or checksum mismatch, BadDigest). */
export class IntegrityError extends StorageError {
  readonly code = "storage_integrity";
  readonly transient = false;
  readonly key: string;
  constructor(key: string, detail: string, options?: { cause?: unknown }) {
    super(`integrity check failed for ${key}: ${detail}`, options);
    this.key = key;
  }
}

/** Connection refused/reset, timeouts, 5xx, throttling: worth retrying later. */
export class StorageUnavailableError extends StorageError {
  readonly code = "storage_unavailable";
  readonly transient = true;
}

/** Bad credentials, SignatureDoesNotMatch, AccessDenied: an operator must fix the config. */
export class StorageAuthError extends StorageError {
  readonly code = "storage_auth";
  readonly transient = false;
}

/** Anything we could not classify. Treated as permanent so that bugs surface instead of looping. */
export class StorageUnknownError extends StorageError {
  readonly code = "storage_error";
  readonly transient = false;
}

/** Object Lock mode (storage/s3-lock.ts): the object's retention has not passed; it was not deleted. */
export class BlobLockedError extends StorageError {
  readonly code = "blob_locked";
  readonly transient = false;
  readonly key: string;
  readonly until: Date;
  constructor(key: string, until: Date) {
    super(`blob locked until ${until.toISOString()}: ${key}`);
    this.key = key;
    this.until = until;
  }
}
