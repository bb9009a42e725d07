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
        : err.message;
    return { code: err.code, message, details: err.details, exit: err.exitCode };
  }
  if (err instanceof FormatError) return { code: err.code, message: err.message, exit: exitForFormatError(err.code) };
  return { code: "INTERNAL", message: String((err as Error)?.message ?? err), exit: EXIT.error };
}
