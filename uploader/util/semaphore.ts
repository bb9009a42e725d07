// A counting semaphore with weights: bounds uploads in flight and plaintext bytes held in memory.
export class Semaphore {
  private available: number;
  private readonly waiters: Array<{ n: number; resolve: () => void }> = [];

  constructor(readonly capacity: number) {
    this.available = capacity;
  }

  /** Waits until `n` units are free (a request larger than the capacity waits for all of it). */
  async acquire(n = 1): Promise<void> {
    const want = Math.min(n, this.capacity);
    if (this.waiters.length === 0 && this.available >= want) {
      this.available -= want;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push({ n: want, resolve }));
  }

  /** Takes `n` units if free right now (and nobody waits); never waits. */
  tryAcquire(n = 1): boolean {
    const want = Math.min(n, this.capacity);
    if (this.waiters.length || this.available < want) return false;
    this.available -= want;
    return true;
  }

  /** True while someone waits: a holder that could give units back soon should do so. */
  get contended(): boolean {
    return this.waiters.length > 0;
  }

  release(n = 1): void {
    this.available += Math.min(n, this.capacity);
    while (this.waiters.length && this.available >= this.waiters[0]!.n) {
      const w = this.waiters.shift()!;
      this.available -= w.n;
      w.resolve();
    }
  }

  async use<T>(fn: () => Promise<T>, n = 1): Promise<T> {
    await this.acquire(n);
    try {
      return await fn();
    } finally {
      this.release(n);
    }
  }
}
