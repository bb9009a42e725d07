/**
 * One error type for everything the format layer rejects, so callers can branch on a stable
 * `code` (e.g. show "wrong passphrase" vs. "corrupted backup") without parsing messages.
 */
export type FormatErrorCode =
  | "BAD_MAGIC"
  | "UNSUPPORTED_VERSION"
  | "TRUNCATED"
  | "AUTH_FAILED"
  | "ID_MISMATCH"
  | "BAD_ID"
  | "UNSUPPORTED_CODEC"
  | "TOO_LARGE"
  | "CORRUPT"
  | "BAD_PASSPHRASE"
  | "BAD_RECOVERY_KEY"
  | "BAD_KEYSET"
  | "KEYSET_MISMATCH"
  | "BAD_KEY"
  | "BAD_ARGUMENT"
  | "BAD_MANIFEST"
  | "BAD_ROOT"
  | "BAD_BODY"
  | "BAD_SIGNATURE"
  | "BAD_CERTIFICATE"
  | "WRONG_RESTORE_POINT";

export class FormatError extends Error {
  readonly code: FormatErrorCode;

  constructor(code: FormatErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ? `${code}: ${message}` : code, options);
    this.name = "FormatError";
    this.code = code;
  }
}
