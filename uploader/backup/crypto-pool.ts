// Worker threads for the backup's CPU work: chunking, chunk ids, compression and encryption, so
// that the main thread only reads and uploads while the rest runs on the other cores. Buffers move
// by transfer, not copy. Contract: chunkStream(), id() and seal() give exactly what a Chunker,
// chunkId() and compress()+encryptChunk() give on the main thread; if workers cannot start, the
// pool runs the same code in-thread. (A restore opens chunks on its main thread: a pool measured
// slower there, 2.2-2.4 s against 1.9-2.1 s for 256 MiB, its transfers and start-up costing more
// than the decryption they moved.)
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { Chunker, chunkId, type ChunkerParams, type SessionKey } from "../format/index.ts";
import type { WorkerInit, WorkerRequest, WorkerResponse } from "./crypto-worker.ts";
import { seal, type Sealed } from "./seal.ts";

interface Pending {
  resolve: (r: WorkerResponse & { ok: true }) => void;
  reject: (err: Error) => void;
}

/**
 * Run from the CLI bundle (dist/cli/datasafe.mjs), the worker bundle built with it from the same
 * sources (scripts/build.mjs); run from the TypeScript sources, the worker's sources through tsx
 * (a bundle could be older than them; each such worker carries a loader thread: ~50 MB).
 */
function workerScript(): URL {
  const bundled = new URL("../../dist/crypto-worker.mjs", import.meta.url);
  return import.meta.url.includes("/dist/") && existsSync(bundled) ? bundled : new URL("./crypto-worker-boot.mjs", import.meta.url);
}

/**
 * One worker per core beyond the main thread (which reads and uploads), at least 2 and at most 3:
 * each worker is a V8 isolate costing ~30 MB of RSS, and the uploader must stay under 300 MB
 * whatever the data. Two on a 2-core PC, so that one file's chunking never waits behind another
 * chunk's sealing on a single worker: a first backup took 3.18 s instead of 3.66 s (median of 3,
 * 256 MiB, against Ceph RGW, both variants interleaved in one run).
 */
export function defaultPoolSize(): number {
  return Math.min(3, Math.max(2, availableParallelism() - 1));
}

/** An ArrayBuffer of its own: a Buffer from Node's shared pool must not be transferred. */
function owned(buf: Buffer): Uint8Array {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.buffer instanceof ArrayBuffer) {
    return new Uint8Array(buf.buffer);
  }
  return new Uint8Array(buf);
}

export interface PoolKeys {
  idKey: Buffer;
  studioId: string;
  /** For chunkStream(): the studio's chunker key and chunking scheme's parameters. */
  chunker?: { key: Buffer; params: ChunkerParams };
  /** For seal(): the backup's session key. */
  session?: SessionKey;
}

export interface IdentifiedChunk {
  id: Buffer;
  plain: Buffer;
}

export interface ChunkStream {
  push(piece: Buffer): Promise<IdentifiedChunk[]>;
  finish(): Promise<IdentifiedChunk[]>;
  abort(): void;
}

export class CryptoPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private next = 0;
  private streams = 0;
  /** Set once a worker failed or exited: every pending and later call rejects with it. */
  private broken: Error | null = null;
  private closing = false;

  constructor(
    private readonly init: PoolKeys,
    size = defaultPoolSize(),
  ) {
    const data: WorkerInit = {
      idKey: init.idKey,
      studioId: init.studioId,
      ...(init.chunker ? { chunker: init.chunker } : {}),
      ...(init.session ? { session: init.session } : {}),
    };
    try {
      for (let i = 0; i < size; i++) {
        const w = new Worker(workerScript(), { workerData: data });
        w.on("message", (res: WorkerResponse) => this.settle(res));
        w.on("error", (err) => this.fail(err));
        w.on("exit", (code) => {
          if (!this.closing) this.fail(new Error(`a crypto worker exited (code ${code})`));
        });
        this.workers.push(w);
      }
    } catch {
      this.workers.length = 0; // in-thread fallback
    }
  }

  private settle(res: WorkerResponse): void {
    const p = this.pending.get(res.seq);
    if (!p) return;
    this.pending.delete(res.seq);
    if (res.ok) p.resolve(res);
    else p.reject(new Error(res.error));
  }

  private fail(err: Error): void {
    this.broken ??= err;
    for (const p of this.pending.values()) p.reject(this.broken);
    this.pending.clear();
  }

  private call(req: WorkerRequest, transfer: ArrayBuffer[], worker = this.next++): Promise<WorkerResponse & { ok: true }> {
    return new Promise((resolve, reject) => {
      if (this.broken) return reject(this.broken);
      this.pending.set(req.seq, { resolve, reject });
      this.workers[worker % this.workers.length]!.postMessage(req, transfer);
    });
  }

  /**
   * A stream of bytes (one file) cut into chunks on a worker, each with its id: push() the pieces
   * in order (each is transferred away), then finish(). Several pushes may be pending; their
   * results come back in order. abort() drops the stream's unfinished chunk.
   */
  chunkStream(): ChunkStream {
    const keys = this.init.chunker;
    if (!keys) throw new Error("CryptoPool.chunkStream needs the chunker key");
    if (!this.workers.length) {
      const chunker = new Chunker(keys.key, keys.params);
      const identify = (plain: Buffer[]) => plain.map((p) => ({ id: chunkId(this.init.idKey, p), plain: p }));
      return {
        push: async (piece) => identify(chunker.push(piece)),
        finish: async () => identify([chunker.finish()].filter((c): c is Buffer => c !== null)),
        abort: () => void chunker.finish(),
      };
    }
    const stream = this.streams++;
    const worker = this.next++;
    const send = async (piece: Buffer | null): Promise<IdentifiedChunk[]> => {
      const u = piece && owned(piece);
      const res = await this.call({ op: "chunk", seq: this.seq++, stream, piece: u }, u ? [u.buffer as ArrayBuffer] : [], worker);
      return res.chunks!.map((c) => ({ id: Buffer.from(c.id), plain: Buffer.from(c.plain.buffer, c.plain.byteOffset, c.plain.byteLength) }));
    };
    return {
      push: (piece) => send(piece),
      finish: () => send(null),
      abort: () => void send(null).catch(() => undefined),
    };
  }

  /** The chunk's id, and the plaintext back (the caller's buffer is transferred away). */
  async id(plain: Buffer): Promise<{ id: Buffer; plain: Buffer }> {
    if (!this.workers.length) return { id: chunkId(this.init.idKey, plain), plain };
    const u = owned(plain);
    const res = await this.call({ op: "id", seq: this.seq++, plain: u }, [u.buffer as ArrayBuffer]);
    const back = res.plain!;
    return { id: Buffer.from(res.id!), plain: Buffer.from(back.buffer, back.byteOffset, back.byteLength) };
  }

  /** The chunk's envelope (compressed if worth it, encrypted) and its digests; the plaintext is consumed. */
  async seal(id: Buffer, plain: Buffer): Promise<Sealed> {
    if (!this.init.session) throw new Error("CryptoPool.seal needs a session key");
    if (!this.workers.length) return seal(this.init.session, this.init.studioId, id, plain);
    const u = owned(plain);
    const res = await this.call({ op: "seal", seq: this.seq++, id: new Uint8Array(id), plain: u }, [u.buffer as ArrayBuffer]);
    const e = res.envelope!;
    return { envelope: Buffer.from(e.buffer, e.byteOffset, e.byteLength), sha256: res.sha256! };
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
