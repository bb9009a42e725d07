/**
 * One error type for everything the format layer rejects, so callers can branch on a stable
 * `code` (e.g. show "wrong passphrase" vs. "corrupted backup") without parsing messages. The
 * catalogue: each code and what it means (the CLI reports these codes as they are, output.ts).
 */
export const FORMAT_ERRORS = {
  BAD_MAGIC: "not a DataSafe envelope (wrong leading bytes)",
  UNSUPPORTED_VERSION: "an envelope, root, keyset or chunking scheme of a version this uploader does not read (a newer one wrote it)",
  TRUNCATED: "an envelope shorter than its framing",
  AUTH_FAILED: "an envelope that does not authenticate for this studio and chunk id: altered, or another studio's",
  ID_MISMATCH: "decrypted content whose keyed id is not the chunk id it was stored under",
  BAD_ID: "a chunk id that is not 32 bytes (64 lowercase hex characters)",
  UNSUPPORTED_CODEC: "a compression codec this uploader does not know",
  TOO_LARGE: "a payload or its decompressed output over its bound",
  CORRUPT: "a compressed stream that does not decode, or decodes to another size than it declares",
  BAD_PASSPHRASE: "the passphrase does not unlock the studio's keys",
  BAD_RECOVERY_KEY: "the recovery key is malformed or does not unlock the studio's keys",
  BAD_KEYSET: "the studio's keyset is malformed (secrets, KDF or its parameters)",
  KEYSET_MISMATCH: "the keyset's public keys do not match its secrets",
  BAD_KEY: "a key of the wrong size or kind passed to a format function",
  BAD_ARGUMENT: "a format function called with an argument out of its contract (a bug in the caller)",
  BAD_MANIFEST: "a manifest body that does not parse, or entries out of order",
  BAD_ROOT: "a manifest root that is not canonical UTF-8 JSON of the expected shape",
  BAD_BODY: "a manifest body whose digest is not the one its root signs",
  BAD_SIGNATURE: "a manifest root whose device signature does not verify",
  BAD_CERTIFICATE: "a device certificate that is malformed, not signed by this studio, or for another studio or device",
  WRONG_RESTORE_POINT: "a manifest root that belongs to another studio or restore point",
} as const;

export type FormatErrorCode = keyof typeof FORMAT_ERRORS;

export class FormatError extends Error {
  readonly code: FormatErrorCode;

  constructor(code: FormatErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ? `${code}: ${message}` : code, options);
    this.name = "FormatError";
    this.code = code;
  }
}
