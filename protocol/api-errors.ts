// Every error code a DataSafe server reports, with its HTTP status and what it means: the API
// answers {"error": {"code", "message", ...details}} with that status (server/errors.ts builds
// them, server/http/error-handler.ts renders them), and datasafe-admin prints the same codes with
// an exit code derived from the status (protocol/cli-exit.ts). The uploader matches some of them
// (CHUNKS_MISSING, KEYSET_EXISTS, TOKEN_EXPIRED, ...): this file is the one list both sides read.
// A code is never renamed or reused for another meaning: clients, scripts and heartbeats keep it.

export const API_ERRORS = {
  VALIDATION_FAILED: { status: 400, meaning: "the request does not match its schema or a rule of its route; the message names the field" },
  UNAUTHENTICATED: {
    status: 401,
    meaning: "missing or invalid credentials (a forged token, a revoked or unknown device): final, a device does not renew on it",
  },
  TOKEN_INVALID: { status: 401, meaning: "the enrollment token is invalid, expired or already used" },
  TOKEN_EXPIRED: {
    status: 401,
    meaning:
      "the device token expired (a device renews it with its key: protocol/device-tokens.ts), or a person's access token expired (refresh it: POST /v1/auth/refresh)",
  },
  INVALID_CREDENTIALS: {
    status: 401,
    meaning: "sign-in: the e-mail address or the password is wrong (the same answer whether the address has an account or not)",
  },
  TOTP_REQUIRED: {
    status: 401,
    meaning: "sign-in: the password was right, and the account's second factor (a TOTP code or a recovery code) is needed too",
  },
  LINK_INVALID: {
    status: 401,
    meaning: "an invitation or password-reset link that is unknown, used or expired (one answer for all three)",
  },
  CHALLENGE_INVALID: { status: 401, meaning: "a token renewal whose challenge is forged, expired or used, or whose signature is wrong" },
  FORBIDDEN: {
    status: 403,
    meaning: "authenticated, but not allowed (a pack key not granted to this device, a report not signed with the studio key)",
  },
  TOTP_ENROLLMENT_REQUIRED: {
    status: 403,
    meaning: "support and admin accounts must enroll a second factor (POST /v1/me/totp) before any staff route",
  },
  CSRF_FAILED: { status: 403, meaning: "a cookie-authenticated request without the session's CSRF token (protocol/people.ts)" },
  CERTIFICATE_INVALID: { status: 403, meaning: "enrollment: the device key's certificate is not the studio's signature over it" },
  NOT_FOUND: { status: 404, meaning: "no such thing in the caller's studio (another studio's ids answer this too, never 403)" },
  ALREADY_COMMITTED: { status: 409, meaning: "this restore point id is taken (in any studio): a new restore point needs a new id" },
  ALREADY_EXISTS: {
    status: 409,
    meaning: "a record with this identity was stored meanwhile (a concurrent request won): send the request again",
  },
  TOTP_ALREADY_ENABLED: {
    status: 409,
    meaning: "this account's second factor is in force: only the operator can reset it (datasafe-admin reset-totp)",
  },
  TOTP_NOT_STARTED: { status: 409, meaning: "confirm a second factor only after starting its enrollment (POST /v1/me/totp)" },
  USER_EXISTS: { status: 409, meaning: "an account with this e-mail address exists: change its role instead of creating it" },
  CHUNKS_MISSING: { status: 409, meaning: "commit: referenced chunks are not stored; the uploader rereads every file and sends them" },
  REFS_INCOMPLETE: { status: 409, meaning: "commit: reference pages are missing or changed while it was checked; send them again" },
  TOO_MANY_PENDING_REF_PAGES: {
    status: 409,
    meaning: "the device holds too many reference pages of uncommitted restore points; commit or let them expire",
  },
  KEYSET_EXISTS: { status: 409, meaning: "enrollment: the studio already has keys (another PC enrolled first); enroll again to use them" },
  KEYSET_MISSING: { status: 409, meaning: "the studio has no keys yet: its first enrollment sends them" },
  UPLOAD_NOT_FOUND: { status: 409, meaning: "a direct upload is reported but nothing is stored under its key: upload the pack first" },
  UPLOAD_GONE: { status: 409, meaning: "the upload behind this key was abandoned: ask for a new grant and upload again" },
  GRANT_EXPIRED: { status: 409, meaning: "the grant for this key expired before the upload was reported: ask for a new one" },
  RESTORE_POINT_HELD: { status: 409, meaning: "this restore point is on hold: release the hold before deleting it" },
  LATEST_RESTORE_POINT: { status: 409, meaning: "the newest restore point of a device is never deleted: back up again first" },
  GRACE_OVER: { status: 409, meaning: "the grace period of this deleted restore point is over: it can no longer be undone" },
  RETENTION_BELOW_MINIMUM: {
    status: 403,
    meaning: "a retention policy below the operator's minimums (or above its labelled maximum): only an admin may set it",
  },
  ALERT_RESOLVED: { status: 409, meaning: "this alert is resolved: its cause went away, so there is nothing to snooze" },
  DIRECT_TRANSFER_DISABLED: { status: 409, meaning: "this server takes chunk bytes through the API only (no presigned URLs)" },
  BLOB_MISSING: {
    status: 410,
    meaning: "the stored bytes of this chunk are missing or cut short on the server; retrying cannot bring them back",
  },
  LENGTH_REQUIRED: { status: 411, meaning: "an upload without a valid Content-Length" },
  TOO_LARGE: { status: 413, meaning: "the request body, or a part of it, is over its limit (protocol/limits.ts)" },
  QUOTA_EXCEEDED: {
    status: 413,
    meaning:
      "an upload would take the studio past its storage quota and grace (details: used, pending, quota, limit, upload bytes); nothing stored is lost, backups resume once the quota is raised or space freed",
  },
  INTEGRITY_MISMATCH: { status: 422, meaning: "bytes do not match their SHA-256 or size, or a report does not match its grant; resend" },
  RATE_LIMITED: { status: 429, meaning: "too many enrollment or token requests from this address: retry after Retry-After" },
  TOO_MANY_ATTEMPTS: { status: 429, meaning: "sign-in attempts over the limit for this account or this address: retry after Retry-After" },
  BUSY: { status: 429, meaning: "the server is healthy but this caller is over its share of uploads in flight: retry after Retry-After" },
  INTERNAL: { status: 500, meaning: "a bug or an unclassified failure; logged on the server with the request" },
  STORAGE_INTEGRITY: { status: 502, meaning: "the blob store did not keep the bytes sent (size or checksum mismatch)" },
  STORAGE_UNAVAILABLE: { status: 503, meaning: "the blob store cannot be reached or is throttling: retry after Retry-After" },
  LIMITS_UNAVAILABLE: {
    status: 503,
    meaning: "the sign-in rate-limit counters (Redis) cannot be reached: sign-in is refused rather than unlimited; retry after Retry-After",
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    meaning: "the database cannot be reached, dropped the connection or has no free connection: retry after Retry-After",
  },
  // datasafe-admin only, never an API answer.
  USAGE: { status: 400, meaning: "datasafe-admin: the command line is wrong (unknown command or option, missing argument)" },
  CONFIG_INVALID: {
    status: 500,
    meaning: "datasafe-admin: the server's configuration (environment, .env) is invalid; the message lists every problem",
  },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** The codes answered with `status`: e.g. ApiErrorCodeWith<409>, the conflicts. */
export type ApiErrorCodeWith<S extends number> = {
  [C in ApiErrorCode]: (typeof API_ERRORS)[C]["status"] extends S ? C : never;
}[ApiErrorCode];

export function isApiErrorCode(code: string): code is ApiErrorCode {
  return Object.hasOwn(API_ERRORS, code);
}
