// Worker threads for the uploader's CPU work (chunk ids, compression, encryption), so reading +
// chunking on the main thread overlaps with the rest on the other cores. Buffers move by transfer, not
// copy. Contract: id() and seal() give exactly what chunkId() and compress()+encryptChunk() give
// on the main thread; if workers cannot start, the pool runs the same code in-thread.
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { chunkId, type SessionKey } from "../format/index.ts";
import type { WorkerInit, WorkerRequest, WorkerResponse } from "./crypto-worker.ts";
import { seal, type Sealed } from "./seal.ts";

interface Pending {
  resolve: (r: WorkerResponse & { ok: true }) => void;
  reject: (err: Error) => void;
}

/**
 * The worker bundled to plain JavaScript at install time (scripts/build.mjs), else the
 * TypeScript source through tsx (works, but each worker then carries a loader thread: ~50 MB).
 */
function workerScript(): URL {
  const bundled = new URL("../../dist/crypto-worker.mjs", import.meta.url);
  return existsSync(bundled) ? bundled : new URL("./crypto-worker-boot.mjs", import.meta.url);
}

/**
 * One worker per core beyond the main thread (which reads and chunks), at most 3: each worker is
 * a V8 isolate costing ~30 MB of RSS, and the uploader must stay under 300 MB whatever the data.
 */
export function defaultPoolSize(): number {
  return Math.min(3, Math.max(1, availableParallelism() - 1));
}

/** An ArrayBuffer of its own: a Buffer from Node's shared pool must not be transferred. */
function owned(buf: Buffer): Uint8Array {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.buffer instanceof ArrayBuffer) {
    return new Uint8Array(buf.buffer);
  }
  return new Uint8Array(buf);
}

export class CryptoPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private next = 0;

  constructor(
    private readonly init: { idKey: Buffer; studioId: string; session: SessionKey },
    size = defaultPoolSize(),
  ) {
    const data: WorkerInit = { idKey: init.idKey, studioId: init.studioId, session: init.session };
    try {
      for (let i = 0; i < size; i++) {
        const w = new Worker(workerScript(), { workerData: data });
        w.on("message", (res: WorkerResponse) => this.settle(res));
        w.on("error", (err) => this.failAll(err));
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

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private call(req: WorkerRequest, transfer: ArrayBuffer[]): Promise<WorkerResponse & { ok: true }> {
    return new Promise((resolve, reject) => {
      this.pending.set(req.seq, { resolve, reject });
      const w = this.workers[this.next++ % this.workers.length]!;
      w.postMessage(req, transfer);
    });
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
    if (!this.workers.length) return seal(this.init.session, this.init.studioId, id, plain);
    const u = owned(plain);
    const res = await this.call({ op: "seal", seq: this.seq++, id: new Uint8Array(id), plain: u }, [u.buffer as ArrayBuffer]);
    const e = res.envelope!;
    return { envelope: Buffer.from(e.buffer, e.byteOffset, e.byteLength), sha256: res.sha256! };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
