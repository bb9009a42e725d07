// The uploader's error vocabulary: every code it invents, with the process exit it ends with
// (protocol/cli-exit.ts: scripts tell usage errors, bad credentials, missing things and partial
// success apart) and what it means. The uploader also reports codes it did not invent, each from
// its own catalogue: the server's (ApiError, protocol/api-errors.ts; exit from the HTTP status)
// and the format layer's (FormatError, format/errors.ts; output.ts reports them as they are).
import type { ApiErrorCode } from "../protocol/api-errors.ts";
import { EXIT, type ExitName } from "../protocol/cli-exit.ts";
import type { FormatErrorCode } from "./format/errors.ts";

export const CLI_ERRORS = {
  USAGE: { exit: "usage", meaning: "the command line is wrong (unknown command or option, missing argument, conflicting options)" },
  INTERNAL: { exit: "error", meaning: "a bug or an unclassified failure; the message says what failed" },
  CANCELLED: { exit: "usage", meaning: "the user pressed Ctrl-C at a prompt" },
  NOT_ENROLLED: { exit: "usage", meaning: "this device has not been enrolled yet (datasafe enroll)" },
  NOT_FOUND: { exit: "notFound", meaning: "a folder given on the command line does not exist, or is not a configured source" },
  SERVER_URL_INVALID: { exit: "usage", meaning: "the server URL is not a URL, or not https://" },
  SERVER_URL_INSECURE: {
    exit: "usage",
    meaning: "plain http:// to a host other than localhost: credentials would cross the network unencrypted",
  },
  SERVER_UNREACHABLE: { exit: "error", meaning: "no answer from the server or the storage (DNS, refused, reset, timeout), after retries" },
  HTTP_ERROR: {
    exit: "error",
    meaning: "the server or the storage answered an error status without a code of its own (the message has the status)",
  },
  RESPONSE_TOO_LARGE: {
    exit: "error",
    meaning: "an answer over its size bound (MAX_JSON_RESPONSE_BYTES): refused before it is held, never retried",
  },
  SHORT_READ: { exit: "error", meaning: "the storage returned fewer bytes of a chunk than its range" },
  BAD_RESPONSE: {
    exit: "error",
    meaning: "the server's answer does not match the request (e.g. a pack report with the wrong number of results)",
  },
  CONFIG_INVALID: { exit: "usage", meaning: "the agent's configuration file is invalid; the message and `problems` list every problem" },
  CONFIG_UNREADABLE: { exit: "error", meaning: "the agent's configuration file exists but cannot be read" },
  STATE_CORRUPT: { exit: "error", meaning: "this device's enrollment state (device.json) is damaged: enroll again" },
  BACKUP_RUNNING: { exit: "error", meaning: "another backup (the agent or another `datasafe backup`) holds this PC's backup lock" },
  NO_SOURCES: { exit: "error", meaning: "the agent has no source folder to back up (datasafe config add-source)" },
  SERVICE_FAILED: { exit: "error", meaning: "installing or controlling the background service (systemctl, schtasks) failed" },
  ENROLL_RACE: { exit: "error", meaning: "enrollment kept conflicting with another PC enrolling into the same studio" },
  PASSPHRASE_FILE: { exit: "usage", meaning: "the --passphrase-file cannot be read" },
  PASSPHRASE_REQUIRED: { exit: "auth", meaning: "no passphrase given (DATASAFE_PASSPHRASE, --passphrase-file) and no terminal to ask on" },
  PASSPHRASE_MISMATCH: { exit: "auth", meaning: "the passphrase and its confirmation differ" },
  PASSPHRASE_TOO_SHORT: { exit: "auth", meaning: "the passphrase has fewer than 8 characters" },
  PASSPHRASE_WEAK: { exit: "auth", meaning: "the passphrase that would create the studio's keys is too easy to guess; nothing was stored" },
  BAD_PASSPHRASE: { exit: "auth", meaning: "the passphrase does not unlock the studio's keys" },
  KEYSET_INVALID: { exit: "error", meaning: "the studio's keys as the server holds them are unreadable" },
  KEYSET_UNSUPPORTED: { exit: "error", meaning: "the studio's keys need a newer datasafe" },
  KEYSET_SWAPPED: { exit: "auth", meaning: "the server's copy of the studio's keys is not the one this device enrolled with: refused" },
  NOT_AUTHENTIC: { exit: "error", meaning: "a manifest or chunk failed authentication: altered or not this studio's; refused" },
  MANIFEST_TOO_LARGE: { exit: "error", meaning: "the manifest root exceeds the maximum chunk size" },
  UNSAFE_MANIFEST: { exit: "error", meaning: "the manifest could write outside the restore target or over itself: refused" },
  PATH_NOT_FOUND: { exit: "notFound", meaning: "a path asked for is not in this restore point" },
  TARGET_EXISTS: { exit: "error", meaning: "entries are in the way in the restore target (use --overwrite); `conflicts` lists them" },
  BLOCKED: { exit: "error", meaning: "a folder on a restored entry's path is a symlink or a file, not a folder (restore/target-tree.ts)" },
  // Problems a `datasafe verify` report lists (with FormatError codes and the server's):
  SIZE_MISMATCH: { exit: "error", meaning: "verify: a file's chunks hold another number of bytes than the manifest says" },
  MANIFEST_NOT_AUTHENTIC: { exit: "error", meaning: "verify: the manifest failed authentication, so no file could be checked" },
  DOWNLOAD_FAILED: { exit: "error", meaning: "verify: a chunk could not be downloaded, and the answer had no usable code" },
} as const satisfies Record<string, { exit: ExitName; meaning: string }>;

export type CliErrorCode = keyof typeof CLI_ERRORS;

declare const unlisted: unique symbol;
/** A code another program answered that no catalogue of ours lists: a newer server's, or S3's. */
export type UnlistedCode = string & { readonly [unlisted]: true };
/** What a server or the storage may answer (ApiError.code). */
export type RemoteCode = ApiErrorCode | UnlistedCode;

/** Types a code read from an answer: the one place a remote string becomes a code. */
export const remoteCode = (code: string) => code as RemoteCode;

export class CliError extends Error {
  /** One of CLI_ERRORS, or for an ApiError what the server or storage answered. */
  readonly code: CliErrorCode | RemoteCode;
  readonly exitCode: number;

  /** Exits as the catalogue says. */
  constructor(code: CliErrorCode, message: string, details?: Record<string, unknown>);
  /** ApiError: a code another program answered, or ours about its answer, with the exit its status calls for. */
  constructor(code: CliErrorCode | RemoteCode, message: string, details: Record<string, unknown> | undefined, exitCode: number);
  constructor(
    code: CliErrorCode | RemoteCode,
    message: string,
    readonly details?: Record<string, unknown>,
    exitCode?: number,
  ) {
    super(message);
    this.name = "CliError";
    this.code = code;
    this.exitCode = exitCode ?? EXIT[CLI_ERRORS[code as CliErrorCode].exit];
  }
}

/** Whether `err` is a CliError (an ApiError included) with this code: the type refuses unknown codes. */
export function hasCode(err: unknown, code: CliErrorCode | ApiErrorCode): err is CliError {
  return err instanceof CliError && err.code === code;
}

/** The exit for a FormatError that reaches the user: a wrong secret is an authentication failure. */
export function exitForFormatError(code: FormatErrorCode): number {
  return code === "BAD_PASSPHRASE" || code === "BAD_RECOVERY_KEY" ? EXIT.auth : EXIT.error;
}

export const usage = (message: string) => new CliError("USAGE", message);
export const notEnrolled = () =>
  new CliError("NOT_ENROLLED", "this device is not enrolled: run `datasafe enroll --server URL --token TOKEN`");
export const badPassphrase = () => new CliError("BAD_PASSPHRASE", "wrong passphrase");
