// The server's error vocabulary: every error it reports is an AppError whose code is one of the
// catalogue (protocol/api-errors.ts: code, HTTP status, meaning), built by one of the factories
// below with a message that is safe to show to the caller. Services and middleware throw these;
// everything else thrown (storage, Prisma, zod) becomes one in to-app-error.ts, the one place
// that translates; http/error-handler.ts renders them and the admin CLI prints them.
import { API_ERRORS, type ApiErrorCode, type ApiErrorCodeWith } from "../protocol/api-errors.ts";

export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "AppError";
    this.status = API_ERRORS[code].status;
  }
}

/** A 409: the request conflicts with what the server holds; the code says what to do. */
type ConflictCode = ApiErrorCodeWith<409>;

export const errors = {
  validation: (message: string, details?: Record<string, unknown>) => new AppError("VALIDATION_FAILED", message, details),
  unauthenticated: (message = "missing or invalid credentials") => new AppError("UNAUTHENTICATED", message),
  forbidden: (message = "not allowed") => new AppError("FORBIDDEN", message),
  notFound: (what: string) => new AppError("NOT_FOUND", `${what} not found`),
  conflict: (code: ConflictCode, message: string, details?: Record<string, unknown>) => new AppError(code, message, details),
  tokenInvalid: () => new AppError("TOKEN_INVALID", "enrollment token is invalid, expired or already used"),
  certificateInvalid: (message: string) => new AppError("CERTIFICATE_INVALID", message),
  tokenExpired: () => new AppError("TOKEN_EXPIRED", "device token expired; renew it with the device key"),
  challengeInvalid: (message: string) => new AppError("CHALLENGE_INVALID", message),
  /** Per client address (http/middleware/rate-limit.ts): enrollment and token renewal. */
  rateLimited: (retryAfterSeconds: number) =>
    new AppError("RATE_LIMITED", "too many requests from this address, retry later", undefined, retryAfterSeconds),
  /** Sign-in: the same answer whether the address has no account or the password is wrong. */
  invalidCredentials: () => new AppError("INVALID_CREDENTIALS", "e-mail address or password is wrong"),
  /** The password was right; the account's second factor is in force and was not given. */
  secondFactorEnrollmentRequired: () =>
    new AppError("TOTP_ENROLLMENT_REQUIRED", "staff accounts need a second factor: enroll one with POST /v1/me/totp, then confirm it"),
  secondFactorRequired: () =>
    new AppError("TOTP_REQUIRED", "this account needs a code from its authenticator app (totp) or a recovery code"),
  /** A person's access token expired: refresh it (POST /v1/auth/refresh). */
  accessTokenExpired: () => new AppError("TOKEN_EXPIRED", "access token expired; refresh it"),
  /** An invitation or reset link that is unknown, used or expired (one answer for all three). */
  linkInvalid: () => new AppError("LINK_INVALID", "this link is invalid, expired or already used"),
  /** A cookie-authenticated request without the session's CSRF token (protocol/people.ts). */
  csrfFailed: () => new AppError("CSRF_FAILED", "missing or wrong CSRF token"),
  /** Sign-in attempts over the limit for this account or this address (Redis counters). */
  tooManyAttempts: (retryAfterSeconds: number) =>
    new AppError("TOO_MANY_ATTEMPTS", "too many sign-in attempts, retry later", undefined, retryAfterSeconds),
  /** The rate-limit counters (Redis) cannot be reached: sign-in is refused rather than unlimited. */
  limitsUnavailable: () => new AppError("LIMITS_UNAVAILABLE", "sign-in is unavailable, retry later", undefined, 5),
  lengthRequired: () => new AppError("LENGTH_REQUIRED", "Content-Length is required"),
  tooLarge: (message: string) => new AppError("TOO_LARGE", message),
  /** 413, not retried by clients: the studio is past its quota and grace (services/quota.ts). */
  quotaExceeded: (message: string, details: { used: number; pending: number; quota: number; limit: number; upload: number }) =>
    new AppError("QUOTA_EXCEEDED", message, details),
  /** The same answer whichever studio holds the id: it tells the caller no more than "pick another". */
  restorePointIdTaken: () =>
    new AppError("ALREADY_COMMITTED", "this restore point id is already taken: a new restore point needs a new id"),
  tooManyPendingRefPages: (limit: number, ttlDays: number) =>
    new AppError(
      "TOO_MANY_PENDING_REF_PAGES",
      `this device already holds ${limit} reference pages of restore points it has not committed; they expire ${ttlDays} days after they were sent`,
    ),
  /** A unique violation (db-errors.ts): the check before the write lost a race to another request. */
  alreadyExists: () => new AppError("ALREADY_EXISTS", "this was stored by a concurrent request; send the request again"),
  integrity: (message: string) => new AppError("INTEGRITY_MISMATCH", message),
  /** 410, not 5xx: retrying cannot bring the object back (clients retry 5xx). The integrity checks
   * mark such a chunk damaged, and the next backup that still has the data repairs it. */
  blobMissing: (message = "the stored data of this chunk is missing on the server") => new AppError("BLOB_MISSING", message),
  /** 429, not 503: the server is healthy, the caller is over its share (retry after). */
  busy: (retryAfterSeconds: number) => new AppError("BUSY", "too many uploads in flight, retry later", undefined, retryAfterSeconds),
  storageIntegrity: () => new AppError("STORAGE_INTEGRITY", "the blob store did not store the bytes sent"),
  storageUnavailable: () => new AppError("STORAGE_UNAVAILABLE", "blob store unavailable", undefined, 5),
  databaseUnavailable: () => new AppError("DATABASE_UNAVAILABLE", "database unavailable", undefined, 5),
  internal: () => new AppError("INTERNAL", "internal error"),
};
