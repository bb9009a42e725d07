// Bandwidth limiting for the upload path (SinkOptions.throttle is awaited before each chunk is
// sent). The limit may change with the time of day (rates.ts), so it is read on each call.
//
// Pacing, not bursting: each chunk reserves size/limit seconds on a virtual clock and is released
// at the END of its reservation. Over a run, bytes sent / elapsed time therefore never exceeds
// the limit, whatever the concurrency (uploads in flight share the one clock).

/** Bytes per second in force at `now`, or null for unlimited. */
export type RateAt = (now: Date) => number | null;

export function createThrottle(rateAt: RateAt, clock: () => number = Date.now): (bytes: number) => Promise<void> {
  let nextFree = 0; // ms on the virtual clock when the link is free again
  return async (bytes: number) => {
    const now = clock();
    const rate = rateAt(new Date(now));
    if (rate === null) {
      nextFree = now; // unlimited: no debt carried into a later limited window
      return;
    }
    const start = Math.max(now, nextFree);
    nextFree = start + (bytes / rate) * 1000;
    const wait = nextFree - now;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };
}
