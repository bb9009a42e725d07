import { setTimeout as sleep } from "node:timers/promises";
import type { Readable } from "node:stream";
import { type BlobStore, validateRange } from "./blob-store.ts";
import { BlobExistsError, StorageError, StorageUnknownError } from "./errors.ts";

export interface RetryOptions {
  /** Total attempts including the first (default 4). */
  attempts?: number;
  /** Backoff cap for attempt n is min(maxDelayMs, baseDelayMs * 2^(n-1)) (defaults 200, 5000). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called before each retry: for logs and metrics, and for tests counting attempts. */
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  store: string;
  op: string;
  key: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  delayMs: number;
  error: StorageError;
}

/**
 * Retries transient failures of any BlobStore (restic's retry backend, kopia's retrying
 * storage): "retry by error class" — only errors with `transient: true` are retried, with
 * exponential backoff and full jitter (a random delay in [0, cap]) so that many workers failing
 * together do not come back together. Permanent errors propagate after one attempt.
 * ping() is not retried: a readiness probe reports the present state; its caller polls again.
 */
export class RetryingStore implements BlobStore {
  readonly name: string;
  readonly #inner: BlobStore;
  readonly #attempts: number;
  readonly #base: number;
  readonly #max: number;
  readonly #onRetry: ((info: RetryInfo) => void) | undefined;
  /** The inner store's own, when it has one: a stream cannot be replayed, so it is not retried. */
  readonly putStream?: (key: string, source: AsyncIterable<Buffer>, size: number) => Promise<void>;

  constructor(inner: BlobStore, opts: RetryOptions = {}) {
    this.#inner = inner;
    this.name = inner.name;
    this.#attempts = Math.max(1, opts.attempts ?? 4);
    this.#base = opts.baseDelayMs ?? 200;
    this.#max = opts.maxDelayMs ?? 5_000;
    this.#onRetry = opts.onRetry;
    if (inner.putStream) this.putStream = inner.putStream.bind(inner);
  }

  init(): Promise<void> {
    return this.#retry("init", "", () => this.#inner.init());
  }
  ping(): Promise<void> {
    return this.#inner.ping();
  }
  get(key: string): Promise<Readable> {
    return this.#retry("get", key, () => this.#inner.get(key));
  }
  read(key: string): Promise<Buffer> {
    return this.#retry("read", key, () => this.#inner.read(key));
  }
  stat(key: string): Promise<{ size: number } | null> {
    return this.#retry("stat", key, () => this.#inner.stat(key));
  }
  delete(key: string): Promise<void> {
    return this.#retry("delete", key, () => this.#inner.delete(key));
  }

  async readRange(key: string, offset: number, length: number): Promise<Buffer> {
    // Checked here too: #retry would turn the inner store's RangeError (not a StorageError) into
    // a StorageUnknownError.
    validateRange(offset, length);
    return this.#retry("readRange", key, () => this.#inner.readRange(key, offset, length));
  }

  async put(key: string, data: Buffer): Promise<void> {
    let failedBefore = false;
    await this.#retry("put", key, async () => {
      try {
        return await this.#inner.put(key, data);
      } catch (e) {
        // A put that timed out may still have been stored; its retry then meets our own blob.
        // Keys are server-chosen and unique, so identical bytes mean that earlier attempt won.
        if (e instanceof BlobExistsError && failedBefore && (await this.#sameContent(key, data))) return;
        failedBefore = true;
        throw e;
      }
    });
  }

  async *list(prefix: string): AsyncIterable<{ key: string; size: number }> {
    // Restarting a listing would repeat entries; like restic, skip the ones already yielded.
    const seen = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      try {
        for await (const entry of this.#inner.list(prefix)) {
          if (seen.has(entry.key)) continue;
          seen.add(entry.key);
          yield entry;
        }
        return;
      } catch (e) {
        await this.#backoffOrThrow("list", prefix, attempt, e);
      }
    }
  }

  async #retry<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        await this.#backoffOrThrow(op, key, attempt, e);
      }
    }
  }

  async #backoffOrThrow(op: string, key: string, attempt: number, e: unknown): Promise<void> {
    const error = e instanceof StorageError ? e : new StorageUnknownError(`${this.name} ${op} ${key}: ${String(e)}`, { cause: e });
    if (!error.transient || attempt >= this.#attempts) throw error;
    const cap = Math.min(this.#max, this.#base * 2 ** (attempt - 1));
    const delayMs = Math.round(Math.random() * cap);
    this.#onRetry?.({ store: this.name, op, key, attempt, delayMs, error });
    await sleep(delayMs);
  }

  async #sameContent(key: string, data: Buffer): Promise<boolean> {
    try {
      return (await this.#inner.read(key)).equals(data);
    } catch {
      return false; // cannot tell: report the BlobExistsError
    }
  }
}
