// Counters (context.ts) in Redis: INCR, and EXPIRE on the first hit of a window (fixed windows).
// Under the deployment's key prefix, like the queues, so deployments and test runs may share one
// Redis. A call answers within TIMEOUT_MS or throws: a sign-in never hangs on a lost Redis.
import { Redis } from "ioredis";
import type { Counters } from "../context.ts";
import { withTimeout } from "../util/timeout.ts";

const TIMEOUT_MS = 2000;

export class RedisCounters implements Counters {
  #redis: Redis | null = null;

  constructor(
    private readonly url: string,
    private readonly prefix: string,
  ) {}

  #client(): Redis {
    if (!this.#redis) {
      this.#redis = new Redis(this.url, { maxRetriesPerRequest: 1, keyPrefix: `${this.prefix}:counters:` });
      this.#redis.on("error", () => undefined); // each command reports its own failure
    }
    return this.#redis;
  }

  async hit(key: string, windowSeconds: number): Promise<{ count: number; resetMs: number }> {
    const run = this.#client().multi().incr(key).expire(key, windowSeconds, "NX").pttl(key).exec();
    const replies = await withTimeout(run, TIMEOUT_MS);
    if (!replies || replies.some(([err]) => err)) throw new Error("counter update failed");
    const count = Number(replies[0]![1]);
    const ttl = Number(replies[2]![1]);
    return { count, resetMs: ttl > 0 ? ttl : windowSeconds * 1000 };
  }

  async close(): Promise<void> {
    if (this.#redis) await this.#redis.quit().catch(() => this.#redis?.disconnect());
  }
}
