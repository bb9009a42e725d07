// One error vocabulary for the whole server: a stable code, an HTTP status and a message that is
// safe to show to the caller. Services throw these; server/http/errors.ts renders them; the
// admin CLI prints them. Vendor errors are translated where the vendor is imported.

export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const errors = {
  validation: (message: string, details?: Record<string, unknown>) =>
    new AppError("VALIDATION_FAILED", 400, message, details),
  unauthenticated: (message = "missing or invalid credentials") =>
    new AppError("UNAUTHENTICATED", 401, message),
  forbidden: (message = "not allowed") => new AppError("FORBIDDEN", 403, message),
  notFound: (what: string) => new AppError("NOT_FOUND", 404, `${what} not found`),
  conflict: (code: string, message: string, details?: Record<string, unknown>) =>
    new AppError(code, 409, message, details),
  tokenInvalid: () =>
    new AppError("TOKEN_INVALID", 401, "enrollment token is invalid, expired or already used"),
  /** Enrollment: the device key's certificate is not the studio's signature over it. */
  certificateInvalid: (message: string) => new AppError("CERTIFICATE_INVALID", 403, message),
  /** The only 401 a device answers by renewing its token (protocol/device-tokens.ts). */
  tokenExpired: () => new AppError("TOKEN_EXPIRED", 401, "device token expired; renew it with the device key"),
  /** A token renewal whose challenge is forged, expired or already used, or whose signature is wrong. */
  challengeInvalid: (message: string) => new AppError("CHALLENGE_INVALID", 401, message),
  /** Per client address (http/middleware/rate-limit.ts): enrollment and token renewal. */
  rateLimited: (retryAfterSeconds: number) =>
    new AppError("RATE_LIMITED", 429, "too many requests from this address, retry later", undefined, retryAfterSeconds),
  /** Sign-in: the same answer whether the address has no account or the password is wrong. */
  invalidCredentials: () => new AppError("INVALID_CREDENTIALS", 401, "e-mail address or password is wrong"),
  /** The password was right; the account's second factor is in force and was not given. */
  secondFactorEnrollmentRequired: () =>
    new AppError("TOTP_ENROLLMENT_REQUIRED", 403, "staff accounts need a second factor: enroll one with POST /v1/me/totp, then confirm it"),
  secondFactorRequired: () => new AppError("TOTP_REQUIRED", 401, "this account needs a code from its authenticator app (totp) or a recovery code"),
  /** A person's access token expired: refresh it (POST /v1/auth/refresh). */
  accessTokenExpired: () => new AppError("TOKEN_EXPIRED", 401, "access token expired; refresh it"),
  /** An invitation or reset link that is unknown, used or expired (one answer for all three). */
  linkInvalid: () => new AppError("LINK_INVALID", 401, "this link is invalid, expired or already used"),
  /** A cookie-authenticated request without the session's CSRF token (protocol/people.ts). */
  csrfFailed: () => new AppError("CSRF_FAILED", 403, "missing or wrong CSRF token"),
  /** Sign-in attempts over the limit for this account or this address (Redis counters). */
  tooManyAttempts: (retryAfterSeconds: number) =>
    new AppError("TOO_MANY_ATTEMPTS", 429, "too many sign-in attempts, retry later", undefined, retryAfterSeconds),
  /** The rate-limit counters (Redis) cannot be reached: sign-in is refused rather than unlimited. */
  limitsUnavailable: () => new AppError("LIMITS_UNAVAILABLE", 503, "sign-in is unavailable, retry later", undefined, 5),
  tooLarge: (message: string) => new AppError("TOO_LARGE", 413, message),
  /** The same answer whichever studio holds the id: it tells the caller no more than "pick another". */
  restorePointIdTaken: () =>
    new AppError("ALREADY_COMMITTED", 409, "this restore point id is already taken: a new restore point needs a new id"),
  /** Commit (or let expire) the device's pending restore points before starting another. */
  tooManyPendingRefPages: (limit: number, ttlDays: number) =>
    new AppError("TOO_MANY_PENDING_REF_PAGES", 409,
      `this device already holds ${limit} reference pages of restore points it has not committed; they expire ${ttlDays} days after they were sent`),
  integrity: (message: string) => new AppError("INTEGRITY_MISMATCH", 422, message),
  /** 429, not 503: the server is healthy, the caller is over its share (retry after). */
  busy: (retryAfterSeconds: number) =>
    new AppError("BUSY", 429, "too many uploads in flight, retry later", undefined, retryAfterSeconds),
  storageUnavailable: () => new AppError("STORAGE_UNAVAILABLE", 503, "blob store unavailable", undefined, 5),
  internal: () => new AppError("INTERNAL", 500, "internal error"),
};
