// HTTP with the retry policy of the data path: transient failures (network errors, 5xx, 408,
// 429, 503 + Retry-After) are retried with exponential backoff and full jitter; permanent ones
// (other 4xx, an answer over its size bound) are not. Server errors arrive as {"error": {"code", "message", ...}}.
import { exitForStatus } from "../../protocol/cli-exit.ts";
import { CliError, hasCode, type CliErrorCode, type RemoteCode } from "../errors.ts";

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseMs: 250, capMs: 15_000 };

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function transientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Runs `attempt` until it resolves, retrying transient failures (ApiError with a transient
 * status, honouring its retryAfterMs; any other error counts as a network failure) with
 * exponential backoff and full jitter; permanent ones are thrown at once.
 */
export async function withRetries<T>(url: string, attempt: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  let lastError: unknown;
  for (let n = 1; ; n++) {
    let retryAfterMs: number | null = null;
    try {
      return await attempt();
    } catch (err) {
      if (err instanceof ApiError && (!transientStatus(err.status) || hasCode(err, "RESPONSE_TOO_LARGE"))) throw err; // asking again cannot shrink it
      if (err instanceof ApiError) retryAfterMs = err.retryAfterMs;
      lastError = err instanceof ApiError ? err : networkError(url, err);
    }
    if (n >= policy.attempts) throw lastError;
    const backoff = Math.random() * Math.min(policy.capMs, policy.baseMs * 2 ** (n - 1));
    await sleep(Math.max(backoff, retryAfterMs ?? 0));
  }
}

export function networkError(url: string, err: unknown): CliError {
  const e = err as { cause?: { code?: string }; code?: string; name?: string } | undefined;
  const cause = e?.cause?.code ?? e?.code ?? e?.name ?? "error";
  return new CliError("SERVER_UNREACHABLE", `cannot reach ${new URL(url).origin} (${cause})`);
}
