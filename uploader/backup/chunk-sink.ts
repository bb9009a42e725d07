// The upload half of the backup pipeline. Chunks arrive in file order; each is identified at
// once (keyed MAC), batched into "which are missing?" queries, and only missing ones are
// compressed, encrypted and uploaded, several at a time. Memory is bounded: a chunk's plaintext
// is held from add() until it is known present or uploaded, within a byte budget.
import type { ApiClient } from "../api/client.ts";
import { chunkId, compress, encryptChunk, idToHex, type SessionKey } from "../format/index.ts";
import { Semaphore } from "../util/semaphore.ts";

export interface SinkOptions {
  /** Chunk uploads in flight. */
  concurrency: number;
  /** Ids per dedup query. */
  batchSize: number;
  /** Plaintext bytes held at once (reading waits beyond it). */
  maxBufferedBytes: number;
  /** Called before each upload with its size; resolves when it may be sent (bandwidth limits). */
  throttle?: (bytes: number) => Promise<void>;
}

export const DEFAULT_SINK_OPTIONS: SinkOptions = { concurrency: 6, batchSize: 64, maxBufferedBytes: 96 * 1024 * 1024 };

export interface SinkStats {
  chunksTotal: number;
  chunksUploaded: number;
  bytesUploaded: number;
}

interface Pending {
  id: Buffer;
  hex: string;
  plain: Buffer;
}

export class ChunkSink {
  readonly stats: SinkStats = { chunksTotal: 0, chunksUploaded: 0, bytesUploaded: 0 };
  /** Every id referenced by this run (what the restore point will reference). */
  readonly ids = new Set<string>();
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

  /** Accepts one chunk of plaintext and returns its id (hex). Waits while memory is full. */
  async add(plain: Buffer): Promise<string> {
    this.throwIfFailed();
    const id = chunkId(this.idKey, plain);
    const hex = idToHex(id);
    this.stats.chunksTotal++;
    if (this.ids.has(hex)) return hex; // already handled in this run
    this.ids.add(hex);
    await this.memory.acquire(plain.length);
    this.batch.push({ id, hex, plain });
    if (this.batch.length >= this.opts.batchSize) this.dispatch();
    return hex;
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
    const tracked = p.catch((err: unknown) => {
      this.failure ??= err;
    }).finally(() => this.inFlight.delete(tracked));
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
      for (const p of batch) this.memory.release(p.plain.length);
      throw err;
    }
    for (const p of batch) {
      if (!missing.has(p.hex)) {
        this.memory.release(p.plain.length);
        continue;
      }
      await this.uploads.acquire();
      this.track(
        this.upload(p).finally(() => {
          this.uploads.release();
          this.memory.release(p.plain.length);
        }),
      );
    }
  }

  private async upload(p: Pending): Promise<void> {
    if (this.failure) return;
    const { codec, data } = await compress(p.plain);
    const envelope = encryptChunk(this.session, this.studioId, p.id, codec, data);
    await this.opts.throttle?.(envelope.length);
    const stored = await this.api.putChunk(p.hex, envelope);
    if (stored) {
      this.stats.chunksUploaded++;
      this.stats.bytesUploaded += envelope.length;
    }
    this.onUploaded(envelope.length);
  }
}
