// The uploader's one backoff formula, for every retry it makes (an API request, a presigned
// transfer, a failed agent run): exponential, capped, with jitter so that many PCs failing at
// once (the server down) do not come back at the same second. The ceiling of attempt n is
// min(cap, base * 2^(n-1)); the delay is drawn uniformly from [minShare * ceiling, ceiling].
export interface Backoff {
  baseMs: number;
  capMs: number;
  /**
   * The share of the ceiling always waited: 0 ("full jitter", the default) for requests, where a
   * quick second try often succeeds; 0.5 for a whole failed run, which deserves a real pause.
   */
  minShare?: number;
}

/** Milliseconds to wait before attempt `attempt + 1`, after `attempt` (1-based) failed. */
export function backoffMs(attempt: number, b: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(b.capMs, b.baseMs * 2 ** (attempt - 1));
  const floor = (b.minShare ?? 0) * ceiling;
  return Math.round(floor + random() * (ceiling - floor));
}
