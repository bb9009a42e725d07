// The upload half of the backup pipeline. Chunks arrive in file order, identified (keyed MAC, on a
// worker thread: with the chunking, addIdentified(), or here, add()); they are batched into "which
// are missing?" queries, and only missing ones are sealed (compressed + encrypted, on a worker
// thread) and packed (packer.ts), several packs in flight. add() returns as soon as the chunk is
// handed over, so reading, CPU work and uploads overlap. Memory is bounded: a chunk's plaintext is
// held from add() until it is known present or sealed, its envelope until its pack is sent.
import type { ChunkUploader } from "./chunk-uploader.ts";
import { hexToId, idToHex } from "../format/index.ts";
import { faultPoint } from "../faults.ts";
import { ApiError } from "../api/api-error.ts";
import { remoteCode } from "../errors.ts";
import { Semaphore } from "../util/semaphore.ts";
import type { CryptoPool } from "../crypto/crypto-pool.ts";
import { Packer, type FilledPack } from "./packer.ts";
import { sealGroups } from "./seal-groups.ts";
import { IdSet } from "./id-set.ts";
import { DEFAULT_SINK_OPTIONS, type SinkOptions } from "./sink-options.ts";
import type { Sealed } from "../crypto/seal.ts";

export { DEFAULT_SINK_OPTIONS, type SinkOptions };

export interface SinkStats {
  chunksTotal: number;
  chunksUploaded: number;
  bytesUploaded: number;
}

export interface AddedChunk {
  /** The chunk's id (hex), once computed. */
  hex: Promise<string>;
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

const STORED: Promise<void> = Promise.resolve();

export class ChunkSink {
  readonly stats: SinkStats = { chunksTotal: 0, chunksUploaded: 0, bytesUploaded: 0 };
  /** Every id referenced by this run (packed: id-set.ts). */
  private readonly seen = new IdSet();
  /** The "stored" promise of each id on its way to the server (a repeat waits for it). */
  private readonly storing = new Map<string, Promise<void>>();
  private batch: Pending[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly sealing: Semaphore;
  private readonly packer: Packer;
  /** The last chunk's turn to enter a pack (never rejects). */
  private packing: Promise<void> = Promise.resolve();
  /** Settles once the last dispatched batch has queued its chunks for packing (never rejects). */
  private queued: Promise<void> = Promise.resolve();
  private readonly memory: Semaphore;
  private failure: unknown = null;

  /** `sessionId`: the restore point id this run will commit, sent with every query and pack. */
  constructor(
    private readonly api: ChunkUploader,
    private readonly pool: CryptoPool,
    private readonly sessionId: string,
    private readonly opts: SinkOptions = DEFAULT_SINK_OPTIONS,
  ) {
    this.sealing = new Semaphore(opts.concurrency);
    this.memory = new Semaphore(opts.maxBufferedBytes);
    this.packer = new Packer(opts.packBytes, opts.packBytes * (opts.concurrency + 1), (pack) => this.sendPack(pack));
  }

  /** Ids referenced so far, sorted, 32 bytes each (what the restore point will reference); complete after flush(). */
  refs(): Buffer {
    return this.seen.sorted();
  }

  /** Records an id this run references without sending it (an unchanged file's cached chunk). */
  reference(hex: string): void {
    this.stats.chunksTotal++;
    this.seen.add(hexToId(hex));
  }

  /** Hands one chunk of plaintext over (the buffer is consumed). Waits while memory is full. */
  async add(plain: Buffer): Promise<AddedChunk> {
    await this.reserve(plain.length);
    return this.accept(this.pool.id(plain));
  }

  /** add() for a chunk whose id is known (CryptoPool.chunkStream computed it). */
  async addIdentified(id: Buffer, plain: Buffer): Promise<AddedChunk> {
    await this.reserve(plain.length);
    return this.accept(Promise.resolve({ id, plain }));
  }

  private async reserve(size: number): Promise<void> {
    this.throwIfFailed();
    if (!this.memory.tryAcquire(size)) {
      this.dispatch(); // memory is short: send the batch we hold (its answers free memory)
      await this.memory.acquire(size);
    }
    this.stats.chunksTotal++;
  }

  private accept(identified: Promise<{ id: Buffer; plain: Buffer }>): AddedChunk {
    const stored = identified.then(({ id, plain: back }) => this.enqueue(id, back));
    // Tracked until the chunk is queued, not until stored: a chunk may wait in the pack being
    // filled until flush() closes it. Failures after that are tracked by the seal and the pack.
    this.track(identified);
    stored.catch(() => undefined); // reported by flush(); avoid unhandled rejections
    return { hex: identified.then(({ id }) => idToHex(id)), stored };
  }

  /** Waits until every chunk added so far is stored on the server; throws the first failure. */
  async flush(): Promise<void> {
    for (;;) {
      this.dispatch();
      if (!this.inFlight.size && !this.packer.close()) break; // the last, partly filled pack
      await Promise.allSettled([...this.inFlight]);
    }
    this.throwIfFailed();
  }

  private enqueue(id: Buffer, plain: Buffer): Promise<void> {
    const hex = idToHex(id);
    if (!this.seen.add(id)) {
      this.memory.release(plain.length); // a repeat within this run
      return this.storing.get(hex) ?? STORED;
    }
    const stored = new Promise<void>((resolve, reject) => {
      this.batch.push({ id, hex, plain, resolve, reject });
    });
    stored.catch(() => undefined);
    this.storing.set(hex, stored);
    // Once stored, it is only an id in `seen`; a failure stays (the run fails: flush() throws it).
    stored.then(
      () => this.storing.delete(hex),
      () => undefined,
    );
    if (this.batch.length >= this.opts.batchSize || this.memory.contended) this.dispatch();
    return stored;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private track(p: Promise<unknown>): void {
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
    // Batches ask "which are missing?" concurrently, but queue their chunks for packing one after
    // the other, in the order they were dispatched: interleaved, two batches' chunks would
    // alternate in the packs, and a restore could not read a file's chunks with one ranged GET.
    const previous = this.queued;
    let queued!: () => void;
    this.queued = new Promise<void>((resolve) => (queued = resolve));
    try {
      await this.queue(
        batch,
        this.api.missing(
          batch.map((p) => p.hex),
          this.sessionId,
        ),
        previous,
      );
    } finally {
      queued();
    }
  }

  private async queue(batch: Pending[], answer: Promise<string[]>, previous: Promise<void>): Promise<void> {
    let missing: Set<string>;
    try {
      missing = new Set(await answer);
    } catch (err) {
      for (const p of batch) {
        this.memory.release(p.plain.length);
        p.reject(err);
      }
      throw err;
    }
    const upload: Pending[] = [];
    for (const p of batch) {
      if (missing.has(p.hex)) {
        upload.push(p);
        continue;
      }
      this.memory.release(p.plain.length); // the server has it: done at once
      p.resolve();
    }
    await previous;
    for (const group of sealGroups(upload)) {
      await this.sealing.acquire();
      // Sealed in parallel, packed in the order sealed here (file order: batches take turns, see
      // process()), so a restore reads runs of neighbouring chunks with one ranged GET. The slot
      // is held until the group is in a pack (not sent yet): that bounds the sealed envelopes
      // waiting for their turn.
      const sealed = this.seal(group);
      sealed.catch(() => undefined); // observed in its turn below
      const added = this.packing.then(async () => {
        const envelopes = await sealed;
        for (const [i, s] of envelopes.entries()) {
          const p = group[i]!;
          await this.packer.add({ id: p.hex, size: s.envelope.length, sha256: s.sha256 }, s.envelope, p);
        }
      });
      this.packing = added.catch(() => undefined);
      this.track(
        added
          .finally(() => this.sealing.release())
          .catch((err: unknown) => {
            for (const p of group) p.reject(err);
            throw err;
          }),
      );
    }
  }

  /** Seals a group of chunks (on one worker), freeing their plaintexts' share of the memory bound. */
  private async seal(group: Pending[]): Promise<Sealed[]> {
    this.throwIfFailed();
    const size = group.reduce((n, p) => n + p.plain.length, 0);
    try {
      return await this.pool.sealMany(group);
    } finally {
      this.memory.release(size); // the plaintexts are gone (consumed by the worker)
    }
  }

  /** Sends a filled pack; each chunk's promise settles with the server's result for it. */
  private sendPack(pack: FilledPack): void {
    const { chunks } = pack;
    const sent = (async () => {
      await this.opts.throttle?.(pack.bytes);
      try {
        return await this.api.sendPack(pack.table, pack.envelopes, this.sessionId);
      } finally {
        pack.release(); // the bytes are sent (or failed): their memory is free
      }
    })();
    this.track(
      sent
        .then(({ recorded }) => recorded)
        .then((results) => {
          if (results.length !== chunks.length)
            throw new ApiError(502, "BAD_RESPONSE", `${results.length} results for a pack of ${chunks.length} chunks`);
          results.forEach((r, i) => {
            const c = chunks[i]!;
            if ("error" in r) return c.reject(new ApiError(r.status, remoteCode(r.error.code), r.error.message));
            if (r.stored) {
              this.stats.chunksUploaded++;
              this.stats.bytesUploaded += pack.table[i]!.size;
            }
            faultPoint("after-chunk-upload");
            c.resolve();
          });
          const failed = results.find((r) => "error" in r);
          if (failed && "error" in failed) throw new ApiError(failed.status, remoteCode(failed.error.code), failed.error.message);
        })
        .catch((err: unknown) => {
          for (const c of chunks) c.reject(err); // settled ones ignore it
          throw err;
        }),
    );
  }
}
