// The upload half of the backup pipeline. Chunks arrive in file order; each is identified at
// once (keyed MAC), batched into "which are missing?" queries, and only missing ones are
// compressed, encrypted and uploaded, several at a time. Memory is bounded: a chunk's plaintext
// is held from add() until it is known present or uploaded, within a byte budget.
import type { ApiClient } from "../api/client.ts";
import { chunkId, compress, encryptChunk, idToHex, type SessionKey } from "../format/index.ts";
import { faultPoint } from "../faults.ts";
import { Semaphore } from "../util/semaphore.ts";

export interface SinkOptions {
  /** Chunk uploads in flight. */
  concurrency: number;
  /** Ids per dedup query (a batch is also sent early when memory runs short). */
  batchSize: number;
  /** Plaintext bytes held at once (reading waits beyond it). */
  maxBufferedBytes: number;
  /** Called before each upload with its size; resolves when it may be sent (bandwidth limits). */
  throttle?: (bytes: number) => Promise<void>;
}

/** 32 MiB of plaintext keeps 4 uploads and the next dedup batch busy; RSS stays far below 300 MB. */
export const DEFAULT_SINK_OPTIONS: SinkOptions = { concurrency: 4, batchSize: 64, maxBufferedBytes: 32 * 1024 * 1024 };

export interface SinkStats {
  chunksTotal: number;
  chunksUploaded: number;
  bytesUploaded: number;
}

export interface AddedChunk {
  hex: string;
  /** Resolves once the server holds the chunk (already had it, or our upload completed). */
  stored: Promise<void>;
}

interface Pending {
  id: Buffer;
  hex: string;
  plain: Buffer;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class ChunkSink {
  readonly stats: SinkStats = { chunksTotal: 0, chunksUploaded: 0, bytesUploaded: 0 };
  /** Every id referenced by this run, with its "stored" promise. */
  private readonly seen = new Map<string, Promise<void>>();
  private batch: Pending[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly uploads: Semaphore;
  private readonly memory: Semaphore;
  private failure: unknown = null;

  constructor(
    private readonly api: ApiClient,
    private readonly session: SessionKey,
    private readonly idKey: Buffer,
    private readonly studioId: string,
    private readonly opts: SinkOptions = DEFAULT_SINK_OPTIONS,
    private readonly onUploaded: (bytes: number) => void = () => undefined,
  ) {
    this.uploads = new Semaphore(opts.concurrency);
    this.memory = new Semaphore(opts.maxBufferedBytes);
  }

  /** Ids referenced so far (what the restore point will reference). */
  ids(): IterableIterator<string> {
    return this.seen.keys();
  }

  /** Records an id this run references without sending it (an unchanged file's cached chunk). */
  reference(hex: string): void {
    this.stats.chunksTotal++;
    if (!this.seen.has(hex)) this.seen.set(hex, Promise.resolve());
  }

  /** Accepts one chunk of plaintext. Waits while the memory budget is used up. */
  async add(plain: Buffer): Promise<AddedChunk> {
    this.throwIfFailed();
    const id = chunkId(this.idKey, plain);
    const hex = idToHex(id);
    this.stats.chunksTotal++;
    const known = this.seen.get(hex);
    if (known) return { hex, stored: known };
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const stored = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    stored.catch(() => undefined); // the failure is reported by flush(); avoid unhandled rejections
    this.seen.set(hex, stored);
    if (!this.memory.tryAcquire(plain.length)) {
      // Memory is short: send the batch we hold (its answers free memory), then wait.
      this.dispatch();
      await this.memory.acquire(plain.length);
    }
    this.batch.push({ id, hex, plain, resolve, reject });
    if (this.batch.length >= this.opts.batchSize) this.dispatch();
    return { hex, stored };
  }

  /** Waits until every chunk added so far is stored on the server; throws the first failure. */
  async flush(): Promise<void> {
    this.dispatch();
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private track(p: Promise<void>): void {
    const tracked = p
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private dispatch(): void {
    if (!this.batch.length) return;
    const batch = this.batch;
    this.batch = [];
    this.track(this.process(batch));
  }

  private async process(batch: Pending[]): Promise<void> {
    let missing: Set<string>;
    try {
      missing = new Set(await this.api.missing(batch.map((p) => p.hex)));
    } catch (err) {
      for (const p of batch) {
        this.memory.release(p.plain.length);
        p.reject(err);
      }
      throw err;
    }
    for (const p of batch) {
      if (!missing.has(p.hex)) {
        this.memory.release(p.plain.length);
        p.resolve();
        continue;
      }
      await this.uploads.acquire();
      this.track(
        this.upload(p)
          .then(p.resolve, (err: unknown) => {
            p.reject(err);
            throw err;
          })
          .finally(() => {
            this.uploads.release();
            this.memory.release(p.plain.length);
          }),
      );
    }
  }

  private async upload(p: Pending): Promise<void> {
    if (this.failure) throw this.failure;
    const { codec, data } = await compress(p.plain);
    const envelope = encryptChunk(this.session, this.studioId, p.id, codec, data);
    await this.opts.throttle?.(envelope.length);
    const stored = await this.api.putChunk(p.hex, envelope);
    if (stored) {
      this.stats.chunksUploaded++;
      this.stats.bytesUploaded += envelope.length;
    }
    this.onUploaded(envelope.length);
    faultPoint("after-chunk-upload");
  }
}
