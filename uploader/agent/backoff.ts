// Retry delays of a failed run: exponential with full jitter (base * 2^(attempt-1), capped),
// so many PCs failing at once (server down) do not come back at the same second.
export function retryDelayMs(attempt: number, o: { baseSeconds: number; maxSeconds: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(o.maxSeconds, o.baseSeconds * 2 ** (attempt - 1)) * 1000;
  return Math.round(ceiling / 2 + (random() * ceiling) / 2); // at least half: a real pause
}
