// The uploader's error vocabulary: a stable code, a message for the user and the process exit
// code (scripts tell usage errors, bad credentials, missing things and partial success apart).

export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  partial: 5,
} as const;

export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number = EXIT.error,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "CliError";
  }
}

export const usage = (message: string) => new CliError("USAGE", message, EXIT.usage);
export const notEnrolled = () =>
  new CliError("NOT_ENROLLED", "this device is not enrolled: run `datasafe enroll --server URL --token TOKEN`", EXIT.usage);
export const badPassphrase = () => new CliError("BAD_PASSPHRASE", "wrong passphrase", EXIT.auth);
