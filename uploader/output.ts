// How a command reports: exactly one JSON object on stdout with --json, readable text otherwise;
// errors as one line on stderr (and {"error": {...}} on stdout with --json), with an exit code.
import { CommanderError } from "commander";
import { EXIT, exitWithError, type Failure } from "../protocol/cli-exit.ts";
import { ApiError } from "./api/api-error.ts";
import { CliError, exitForFormatError, hasCode } from "./errors.ts";
import { FormatError } from "./format/errors.ts";
import { silentProgress, terminalProgress, type Progress } from "./progress.ts";

export interface OutputMode {
  json: boolean;
}

export function progressFor(mode: OutputMode): Progress {
  return !mode.json && process.stderr.isTTY ? terminalProgress() : silentProgress;
}

export function emit(mode: OutputMode, result: object, human: string): void {
  process.stdout.write(mode.json ? `${JSON.stringify(result)}\n` : `${human}\n`);
}

/** A byte count as people read it in a command's text output. */
export const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;

export function fail(err: unknown, json: boolean): never {
  if (err instanceof CommanderError && err.exitCode === 0) process.exit(0); // --help, --version
  const { exit, ...failure } = failureOf(err);
  exitWithError("datasafe", failure, exit, json);
}

/** What is reported for `err`: its code from its catalogue (CLI_ERRORS, the server's, the format's), else INTERNAL. */
export function failureOf(err: unknown): Failure & { exit: number } {
  if (err instanceof CommanderError) return { code: "USAGE", message: err.message.replace(/^error: /, ""), exit: EXIT.usage };
  if (err instanceof CliError) {
    const message =
      err instanceof ApiError && hasCode(err, "UNAUTHENTICATED")
        ? "the server refused this device's credential (revoked, or enrolled with another server)"
        : err.code === "QUOTA_EXCEEDED"
          ? quotaMessage(err.details)
          : err.message;
    return { code: err.code, message, details: err.details, exit: err.exitCode };
  }
  if (err instanceof FormatError) return { code: err.code, message: err.message, exit: exitForFormatError(err.code) };
  return { code: "INTERNAL", message: String((err as Error)?.message ?? err), exit: EXIT.error };
}

/** Decimal units, as storage is sold (the server's quota messages use the same). */
function bytesText(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(2)} TB`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${n} bytes`;
}

/**
 * 413 QUOTA_EXCEEDED (server/services/quota.ts): the backup stopped, not failed at random, and is
 * not retried before the next scheduled run; the numbers come from the answer's details.
 */
function quotaMessage(details: Record<string, unknown> | undefined): string {
  const n = (k: string) => (typeof details?.[k] === "number" ? (details[k] as number) : null);
  const [used, pending, quota, limit, upload] = [n("used"), n("pending"), n("quota"), n("limit"), n("upload")];
  const numbers =
    used !== null && quota !== null && limit !== null && upload !== null
      ? `: ${bytesText(used + (pending ?? 0))} used of a ${bytesText(quota)} quota (uploads allowed up to ${bytesText(limit)}), and this backup had ${bytesText(upload)} more to send`
      : "";
  return `backup stopped: the studio's storage quota is full${numbers}. Nothing already stored was lost; ask the studio's owner or DataSafe support to raise the quota, then back up again`;
}
