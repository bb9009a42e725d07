import {
  BlobExistsError,
  BlobNotFoundError,
  IntegrityError,
  StorageAuthError,
  StorageError,
  StorageUnavailableError,
  StorageUnknownError,
} from "./errors.ts";

// The one place that turns what the S3 SDK (or the socket under it) throws into our errors
// (kopia's s3_storage.go translateError). It reads the SDK error's shape rather than importing
// SDK classes, so it also classifies raw socket errors and stays trivially unit-testable.

/** S3 error codes, by the class they belong to. */
const NOT_FOUND = new Set(["NoSuchKey", "NotFound"]);
const EXISTS = new Set(["PreconditionFailed"]);
const INTEGRITY = new Set(["BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "IncompleteBody"]);
const AUTH = new Set([
  "SignatureDoesNotMatch",
  "InvalidAccessKeyId",
  "AccessDenied",
  "AllAccessDisabled",
  "InvalidToken",
  "ExpiredToken",
  "TokenRefreshRequired",
  "AccountProblem",
]);
const TRANSIENT = new Set([
  "SlowDown",
  "ServiceUnavailable",
  "InternalError",
  "RequestTimeout",
  "Throttling",
  "ThrottlingException",
  "TooManyRequests",
  "RequestTimeTooSkewed",
  "OperationAborted",
  // AWS answers 409 to two conditional writes racing on one key; the retry then gets a 412.
  "ConditionalRequestConflict",
  // The SDK's own names for socket-level timeouts.
  "TimeoutError",
  "RequestTimeoutException",
]);
const NETWORK_ERRNO = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ESOCKETTIMEDOUT",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  cause?: unknown;
  errors?: unknown[];
  $metadata?: { httpStatusCode?: number };
}

/** Maps anything thrown by an S3 call about `key` (a blob key or the bucket) to a StorageError. */
export function translateError(err: unknown, key: string): StorageError {
  if (err instanceof StorageError) return err;
  const e = (err ?? {}) as SdkErrorShape;
  const code = e.Code ?? e.name ?? "";
  const status = e.$metadata?.httpStatusCode;
  const what = `s3 ${code || "error"}${status ? ` (HTTP ${status})` : ""} for ${key}: ${e.message ?? String(err)}`;
  const opts = { cause: err };

  // A missing bucket is a deployment problem, not a missing blob: never report it as absence,
  // or a misconfigured server would believe every chunk was lost.
  if (code === "NoSuchBucket") return new StorageUnknownError(`${what} (bucket missing: init() creates it)`, opts);
  if (NOT_FOUND.has(code)) return new BlobNotFoundError(key, opts);
  if (EXISTS.has(code)) return new BlobExistsError(key, opts);
  if (INTEGRITY.has(code)) return new IntegrityError(key, what, opts);
  if (AUTH.has(code)) return new StorageAuthError(what, opts);
  if (TRANSIENT.has(code)) return new StorageUnavailableError(what, opts);
  if (errnoOf(err) !== undefined) return new StorageUnavailableError(what, opts);

  // HEAD responses carry no body, so the SDK knows only the status ("Unknown", 403...).
  if (status === 404) return new BlobNotFoundError(key, opts);
  if (status === 412) return new BlobExistsError(key, opts);
  if (status === 401 || status === 403) return new StorageAuthError(what, opts);
  // 501 NotImplemented (e.g. an unsupported header) will not change on retry.
  if (status === 408 || status === 429 || (status !== undefined && status >= 500 && status !== 501)) {
    return new StorageUnavailableError(what, opts);
  }
  return new StorageUnknownError(what, opts);
}

/** The network errno anywhere in the error, its cause chain or an AggregateError's members. */
function errnoOf(err: unknown, depth = 0): string | undefined {
  if (err === null || typeof err !== "object" || depth > 4) return undefined;
  const e = err as SdkErrorShape;
  if (typeof e.code === "string" && NETWORK_ERRNO.has(e.code)) return e.code;
  for (const inner of [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const found = errnoOf(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}
