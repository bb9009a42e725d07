// What both command-line programs (datasafe, datasafe-admin) promise the scripts that run them:
// the exit codes, and how a failure is reported: one line on stderr, and with --json exactly one
// {"error": {"code", "message", ...details}} object on stdout. Each program's catalogue names the
// exit of its codes (uploader/errors.ts; protocol/api-errors.ts through exitForStatus).

export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  /** Done, but not everything: files skipped by a backup, entries a restore could not write. */
  partial: 5,
} as const;

export type ExitName = keyof typeof EXIT;

/** The exit for an error the API answered with `status`. */
export function exitForStatus(status: number): number {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  return EXIT.error;
}

export interface Failure {
  code: string;
  message: string;
  details?: Record<string, unknown> | undefined;
}

/** Reports `failure` as `program` and exits with `exit`. */
export function exitWithError(program: string, failure: Failure, exit: number, json: boolean): never {
  process.stderr.write(`${program}: ${failure.message.split("\n").join("; ")}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ error: { code: failure.code, message: failure.message, ...failure.details } })}\n`);
  process.exit(exit);
}
