// The retry policy of every API request and presigned transfer: transient failures (network
// errors, 5xx, 408, 429, 503 + Retry-After) are retried with backoff (util/backoff.ts); permanent
// ones (other 4xx, an answer over its size bound) are not.
import { hasCode } from "../errors.ts";
import { backoffMs } from "../util/backoff.ts";
import { ApiError, networkError } from "./api-error.ts";

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseMs: 250, capMs: 15_000 };

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
    await sleep(Math.max(backoffMs(n, policy), retryAfterMs ?? 0));
  }
}
