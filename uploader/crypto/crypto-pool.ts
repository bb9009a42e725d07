// Worker threads for the CPU work on chunks: on backup chunking, chunk ids, compression and
// encryption, so that the main thread only reads and uploads; on restore opening (decryption,
// decompression, id check), so that the main thread only downloads and writes. Buffers move by
// transfer, not copy (a ranged GET of several envelopes goes to one worker whole).
// Contract: chunkStream(), id(), seal() and open() give exactly what a Chunker, chunkId(),
// compress()+encryptChunk() and openChunk() give on the main thread (a FormatError stays a
// FormatError with its code); if workers cannot start, the pool runs the same code in-thread.
import { Worker } from "node:worker_threads";
import type { KeyObject } from "node:crypto";
import {
  Chunker,
  chunkId,
  DecryptKeyring,
  FormatError,
  openChunk,
  type ChunkerParams,
  type FormatErrorCode,
  type SessionKey,
} from "../format/index.ts";
import type { WorkerInit, WorkerRequest, WorkerResponse } from "./crypto-worker.ts";
import { seal, type Sealed } from "./seal.ts";
import { readSmallFile, type SmallFileRead } from "../backup/small-file.ts";
import { defaultPoolSize, workerScript } from "./worker-script.ts";

export { defaultPoolSize };

interface Pending {
  resolve: (r: WorkerResponse & { ok: true }) => void;
  reject: (err: Error) => void;
}

function workerInit(k: PoolKeys): WorkerInit {
  return {
    idKey: k.idKey,
    studioId: k.studioId,
    ...(k.chunker ? { chunker: k.chunker } : {}),
    ...(k.session ? { session: k.session } : {}),
    ...(k.box ? { box: k.box } : {}),
  };
}

/**
 * Work this small is done on the calling thread: a message to a worker and back costs more, and a
 * worker may still be starting (~0.1-0.2 s) when a run that changed nothing seals its manifest.
 * Identifying is a keyed hash; sealing compresses, so only a manifest's root and the like.
 */
const IN_THREAD_ID_BYTES = 64 * 1024;
const IN_THREAD_SEAL_BYTES = 16 * 1024;

const view = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

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
  /** For open(): the studio's box key pair (session keys are re-derived from envelopes). */
  box?: { privateKey: KeyObject; publicKey: Buffer };
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
  /** The memory of open()'s results, while they are in use (recycle()), and once given back. */
  private readonly fromWorkers = new WeakSet<ArrayBuffer>();
  private readonly recycled: ArrayBuffer[] = [];
  /** open()'s session keys when it runs in-thread. */
  private keyring: DecryptKeyring | undefined;
  /** readFiles()' chunker when it runs in-thread. */
  private inThreadChunker: Chunker | undefined;

  /** The keys; null until a promise of them (see the constructor) resolved. */
  private init: PoolKeys | null;
  /** Resolves once the keys are known (and sent to the workers). */
  private readonly ready: Promise<void>;

  /**
   * `keys` may be a promise: the workers start at once, so that their start-up (~0.1 s) overlaps
   * whatever produces the keys (a passphrase's key derivation), and receive the keys when known.
   * Until then only open() may be called (it waits); a rejected promise rejects it.
   */
  constructor(keys: PoolKeys | Promise<PoolKeys>, size = defaultPoolSize()) {
    const known = keys instanceof Promise ? null : keys;
    this.init = known;
    try {
      const { script, eval: isCode } = workerScript();
      for (let i = 0; i < size; i++) {
        const w = new Worker(script, { eval: isCode, workerData: known && workerInit(known) });
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
    this.ready = known
      ? Promise.resolve()
      : (keys as Promise<PoolKeys>).then((k) => {
          this.init = k;
          for (const w of this.workers) w.postMessage({ op: "keys", init: workerInit(k) });
        });
    this.ready.catch(() => undefined); // observed by open()
  }

  private get keys(): PoolKeys {
    if (!this.init) throw new Error("CryptoPool: the keys are not known yet");
    return this.init;
  }

  private settle(res: WorkerResponse): void {
    const p = this.pending.get(res.seq);
    if (!p) return;
    this.pending.delete(res.seq);
    if (res.ok) return p.resolve(res);
    const err = res.code ? new FormatError(res.code as FormatErrorCode) : new Error(res.error);
    err.message = res.error;
    p.reject(err);
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
      const drop = this.recycled.splice(0);
      this.workers[worker % this.workers.length]!.postMessage(drop.length ? { ...req, drop } : req, [...transfer, ...drop]);
    });
  }

  /**
   * Gives back a buffer that open() returned, once nothing uses it any more: its memory leaves
   * with the next request to a worker, which frees it. Else this thread's V8 would count it as
   * external memory until a major GC found it: a restore churns through its whole size in such
   * buffers, which cost the main thread ~20 full GCs per 256 MiB.
   */
  recycle(plain: Buffer): void {
    const ab = plain.buffer;
    if (ab instanceof ArrayBuffer && this.fromWorkers.delete(ab)) this.recycled.push(ab);
  }

  /**
   * A stream of bytes (one file) cut into chunks on a worker, each with its id: push() the pieces
   * in order (each is transferred away), then finish(). Several pushes may be pending; their
   * results come back in order. abort() drops the stream's unfinished chunk.
   */
  chunkStream(): ChunkStream {
    const keys = this.keys.chunker;
    if (!keys) throw new Error("CryptoPool.chunkStream needs the chunker key");
    if (!this.workers.length) {
      const chunker = new Chunker(keys.key, keys.params);
      const identify = (plain: Buffer[]) => plain.map((p) => ({ id: chunkId(this.keys.idKey, p), plain: p }));
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
      return res.chunks!.map((c) => ({
        id: Buffer.from(c.id),
        plain: Buffer.from(c.plain.buffer, c.plain.byteOffset, c.plain.byteLength),
      }));
    };
    return {
      push: (piece) => send(piece),
      finish: () => send(null),
      abort: () => void send(null).catch(() => undefined),
    };
  }

  /**
   * Reads small files whole and cuts them into identified chunks, on one worker (small-file.ts);
   * one result per path, in order. A file that cannot be read gives its error, not a rejection.
   */
  async readFiles(paths: ReadonlyArray<string | Buffer>): Promise<SmallFileRead[]> {
    const keys = this.keys.chunker;
    if (!keys) throw new Error("CryptoPool.readFiles needs the chunker key");
    if (!this.workers.length) {
      this.inThreadChunker ??= new Chunker(keys.key, keys.params);
      const chunker = this.inThreadChunker;
      return paths.map((p) => readSmallFile(p, this.keys.idKey, keys.params, () => chunker));
    }
    const res = await this.call(
      { op: "readFiles", seq: this.seq++, paths: paths.map((p) => (typeof p === "string" ? p : new Uint8Array(p))) },
      [],
    );
    return res.files!.map((f) =>
      "chunks" in f ? { size: f.size, chunks: f.chunks.map((c) => ({ id: Buffer.from(c.id), plain: view(c.plain) })) } : f,
    );
  }

  /** seal() for several chunks in one message; each plaintext is consumed. */
  async sealMany(items: ReadonlyArray<{ id: Buffer; plain: Buffer }>): Promise<Sealed[]> {
    const { session, studioId } = this.keys;
    if (!session) throw new Error("CryptoPool.sealMany needs a session key");
    if (!this.workers.length || items.reduce((n, it) => n + it.plain.length, 0) <= IN_THREAD_SEAL_BYTES) {
      return Promise.all(items.map((it) => seal(session, studioId, it.id, it.plain)));
    }
    const owned_ = items.map((it) => ({ id: new Uint8Array(it.id), plain: owned(it.plain) }));
    const res = await this.call({ op: "sealMany", seq: this.seq++, items: owned_ }, [
      ...new Set(owned_.map((it) => it.plain.buffer as ArrayBuffer)),
    ]);
    return res.sealed!.map((s) => ({ envelope: view(s.envelope), sha256: s.sha256 }));
  }

  /** The chunk's id, and the plaintext back (the caller's buffer is transferred away). */
  async id(plain: Buffer): Promise<{ id: Buffer; plain: Buffer }> {
    if (!this.workers.length || plain.length <= IN_THREAD_ID_BYTES) return { id: chunkId(this.keys.idKey, plain), plain };
    const u = owned(plain);
    const res = await this.call({ op: "id", seq: this.seq++, plain: u }, [u.buffer as ArrayBuffer]);
    const back = res.plain!;
    return { id: Buffer.from(res.id!), plain: Buffer.from(back.buffer, back.byteOffset, back.byteLength) };
  }

  /** The chunk's envelope (compressed if worth it, encrypted) and its digests; the plaintext is consumed. */
  async seal(id: Buffer, plain: Buffer): Promise<Sealed> {
    const { session, studioId } = this.keys;
    if (!session) throw new Error("CryptoPool.seal needs a session key");
    if (!this.workers.length) return seal(session, studioId, id, plain);
    const u = owned(plain);
    const res = await this.call({ op: "seal", seq: this.seq++, id: new Uint8Array(id), plain: u }, [u.buffer as ArrayBuffer]);
    const e = res.envelope!;
    return { envelope: Buffer.from(e.buffer, e.byteOffset, e.byteLength), sha256: res.sha256! };
  }

  /**
   * Opens the envelopes found at `parts` of `data` (openChunk each), all on one worker; `data` is
   * transferred there (copied first when it is a slice of a larger buffer).
   */
  async open(data: Buffer, parts: ReadonlyArray<{ id: Buffer; offset: number; size: number }>): Promise<Buffer[]> {
    await this.ready;
    const { box, idKey, studioId } = this.keys;
    if (!box) throw new Error("CryptoPool.open needs the studio's box key");
    if (!this.workers.length) {
      this.keyring ??= new DecryptKeyring({ boxPrivateKey: box.privateKey, boxPublicKey: box.publicKey });
      const plains: Buffer[] = [];
      for (const p of parts) plains.push(await openChunk(this.keyring, idKey, studioId, p.id, data.subarray(p.offset, p.offset + p.size)));
      return plains;
    }
    const u = owned(data);
    const req = {
      op: "open" as const,
      seq: this.seq++,
      data: u,
      parts: parts.map((p) => ({ id: new Uint8Array(p.id), offset: p.offset, size: p.size })),
    };
    const res = await this.call(req, [u.buffer as ArrayBuffer]);
    return res.plains!.map((p) => {
      this.fromWorkers.add(p.buffer as ArrayBuffer);
      return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
