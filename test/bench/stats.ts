// Summaries used throughout the bench. Medians, not means: on a shared 2-core machine one run
// disturbed by another engineer's test suite should not move the reported figure.
export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile (p in 0..100): an observed value, never an interpolation. */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const MiB = 1024 * 1024;
export const mbps = (bytes: number, ms: number) => (ms > 0 ? bytes / MiB / (ms / 1000) : NaN);

/** Runs fn `reps` times and returns every result (callers take medians per field). */
export async function repeat<T>(reps: number, fn: (rep: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < reps; i++) out.push(await fn(i));
  return out;
}

/** Median of each numeric field over several results of the same shape. */
export function medianOf<T extends object>(runs: T[]): T {
  const first = runs[0]!;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(first)) {
    out[k] = typeof v === "number" ? median(runs.map((r) => (r as Record<string, number>)[k]!)) : v;
  }
  return out as T;
}
