// The uploader's errors from the API and the bucket: an answer's status and code (the API's JSON
// {"error": {"code", "message", ...}}, or a bucket's XML), and the server not reachable at all.
import { CliError, EXIT } from "../errors.ts";

export class ApiError extends CliError {
  /** From a Retry-After header: the earliest a retry should come. */
  retryAfterMs: number | null = null;

  constructor(
    readonly status: number,
    code: string,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(code, message, exitFor(status), details);
    this.name = "ApiError";
  }
}

function exitFor(status: number): number {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  return EXIT.error;
}

export function networkError(url: string, err: unknown): CliError {
  const e = err as { cause?: { code?: string }; code?: string; name?: string } | undefined;
  const cause = e?.cause?.code ?? e?.code ?? e?.name ?? "error";
  return new CliError("SERVER_UNREACHABLE", `cannot reach ${new URL(url).origin} (${cause})`, EXIT.error);
}
