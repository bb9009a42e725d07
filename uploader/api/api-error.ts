// The uploader's errors from the API and the bucket: an answer's status and code (the API's JSON
// {"error": {"code", "message", ...}}, or a bucket's XML), and the server not reachable at all.
import { exitForStatus } from "../../protocol/cli-exit.ts";
import { CliError, type CliErrorCode, type RemoteCode } from "../errors.ts";

export class ApiError extends CliError {
  /** From a Retry-After header: the earliest a retry should come. */
  retryAfterMs: number | null = null;

  /** `code`: what the server or storage answered (RemoteCode), or ours about its answer (CLI_ERRORS). */
  constructor(
    readonly status: number,
    code: RemoteCode | CliErrorCode,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(code, message, details, exitForStatus(status));
    this.name = "ApiError";
  }
}

export function networkError(url: string, err: unknown): CliError {
  const e = err as { cause?: { code?: string }; code?: string; name?: string } | undefined;
  const cause = e?.cause?.code ?? e?.code ?? e?.name ?? "error";
  return new CliError("SERVER_UNREACHABLE", `cannot reach ${new URL(url).origin} (${cause})`);
}
