// How a command reports: exactly one JSON object on stdout with --json, readable text otherwise;
// errors as one line on stderr (and {"error": {...}} on stdout with --json), with an exit code.
import { CommanderError } from "commander";
import { ApiError } from "./api/api-error.ts";
import { CliError, EXIT } from "./errors.ts";
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
  let code = "INTERNAL";
  let message = String((err as Error)?.message ?? err);
  let exit: number = EXIT.error;
  let details: Record<string, unknown> | undefined;
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) process.exit(0); // --help, --version
    code = "USAGE";
    message = err.message.replace(/^error: /, "");
    exit = EXIT.usage;
  } else if (err instanceof CliError) {
    ({ code, message } = err);
    exit = err.exitCode;
    details = err.details;
    if (err instanceof ApiError && err.code === "UNAUTHENTICATED") {
      message = "the server refused this device's credential (revoked, or enrolled with another server)";
    }
  }
  process.stderr.write(`datasafe: ${message.split("\n").join("; ")}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ error: { code, message, ...details } })}\n`);
  process.exit(exit);
}
