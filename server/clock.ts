// The server's one source of "now" for every time that retention, garbage collection, quotas and
// alerts read back (restore points' commit times, leases, grants, heartbeats, run history). Tests
// hand services a ManualClock and run a simulated year in seconds; nothing they read is stamped by
// a database `now()` default. Token signing (JWT iat/exp) keeps the real clock: its verifier does.

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that moves only when told: starts at `start`, `advance(ms)` moves it forward. */
export class ManualClock implements Clock {
  #ms: number;
  constructor(start: Date) {
    this.#ms = start.getTime();
  }
  now(): Date {
    return new Date(this.#ms);
  }
  advance(ms: number): Date {
    if (!(ms >= 0)) throw new RangeError("a clock only moves forward");
    this.#ms += ms;
    return this.now();
  }
  set(to: Date): void {
    if (to.getTime() < this.#ms) throw new RangeError("a clock only moves forward");
    this.#ms = to.getTime();
  }
}
