// A worker thread of the CryptoPool: cuts files into chunks, identifies them (keyed MAC) and seals
// them (compress + encrypt), so that this CPU work runs on every core while the main thread reads
// and uploads; on restore, opens them (decrypt, decompress, id check) while the main thread
// downloads and writes.
import type { KeyObject } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { Chunker, chunkId, DecryptKeyring, FormatError, openChunk, type ChunkerParams, type SessionKey } from "../format/index.ts";
import { seal } from "./seal.ts";
import { readSmallFile, type SmallFileRead } from "../backup/small-file.ts";

export interface WorkerInit {
  idKey: Uint8Array;
  studioId: string;
  /** The key of the studio's chunk boundaries and its scheme's parameters (op "chunk"). */
  chunker?: { key: Uint8Array; params: ChunkerParams };
  /** The session key chunks are sealed with (op "seal"). */
  session?: { ephemeralPublicKey: Uint8Array; key: Uint8Array };
  /** The studio's box key pair, to re-derive session keys from envelopes (op "open"). */
  box?: { privateKey: KeyObject; publicKey: Uint8Array };
}

export type WorkerRequest =
  | { op: "id"; seq: number; plain: Uint8Array }
  | { op: "seal"; seq: number; id: Uint8Array; plain: Uint8Array }
  /** Several chunks to seal at once (one message instead of one per small chunk). */
  | { op: "sealMany"; seq: number; items: Array<{ id: Uint8Array; plain: Uint8Array }> }
  /** Whole small files to read here and cut into identified chunks, each as one stream. */
  | { op: "readFiles"; seq: number; paths: Array<string | Uint8Array> }
  /** The next piece of stream `stream` (a file), or its end (piece null): the chunks it completes, identified. */
  | { op: "chunk"; seq: number; stream: number; piece: Uint8Array | null }
  /** Envelopes to open, found at `parts` of `data` (one download, transferred here). */
  | { op: "open"; seq: number; data: Uint8Array; parts: Array<{ id: Uint8Array; offset: number; size: number }> };

export type WorkerResponse =
  | {
      seq: number;
      ok: true;
      id?: Uint8Array;
      plain?: Uint8Array;
      envelope?: Uint8Array;
      sha256?: string;
      chunks?: Array<{ id: Uint8Array; plain: Uint8Array }>;
      plains?: Uint8Array[];
      sealed?: Array<{ envelope: Uint8Array; sha256: string }>;
      files?: Array<SmallFileRead<Uint8Array>>;
    }
  /** `code`: a FormatError's code, so that the caller can tell damage from other failures. */
  | { seq: number; ok: false; error: string; code?: string };

const view = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

interface Keys {
  init: WorkerInit;
  idKey: Buffer;
  session: SessionKey | null;
  keyring: DecryptKeyring | null;
}

function setUp(init: WorkerInit): Keys {
  return {
    init,
    idKey: Buffer.from(init.idKey),
    session: init.session ? { ephemeralPublicKey: view(init.session.ephemeralPublicKey), key: view(init.session.key) } : null,
    keyring: init.box ? new DecryptKeyring({ boxPrivateKey: init.box.privateKey, boxPublicKey: view(init.box.publicKey) }) : null,
  };
}

/** In workerData; or, from a pool started before its keys were known, in a first "keys" message. */
let keys: Keys | null = workerData ? setUp(workerData as WorkerInit) : null;
/** One chunker per open stream; a stream's pieces all come to this worker, in order. */
const streams = new Map<number, Chunker>();
/** The chunker of op "readFiles", reset after each file. */
let fileChunker: Chunker | null = null;

// A request may carry `drop`: buffers the main thread gave back (CryptoPool.recycle), which are
// freed here with the message.
parentPort!.on("message", (msg: WorkerRequest | { op: "keys"; init: WorkerInit }) => {
  if (msg.op === "keys") {
    keys = setUp(msg.init);
    fileChunker = null;
    return;
  }
  void handle(msg).then(
    (res) => {
      const transfer = [
        res.plain?.buffer,
        res.envelope?.buffer,
        ...(res.chunks ?? []).map((c) => c.plain.buffer),
        ...(res.plains ?? []).map((p) => p.buffer),
        ...(res.sealed ?? []).map((s) => s.envelope.buffer),
        ...(res.files ?? []).flatMap((f) => ("chunks" in f ? f.chunks.map((c) => c.plain.buffer) : [])),
      ].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
      parentPort!.postMessage(res, transfer);
    },
    (err: unknown) =>
      parentPort!.postMessage({
        seq: msg.seq,
        ok: false,
        error: String((err as Error)?.message ?? err),
        ...(err instanceof FormatError ? { code: err.code } : {}),
      }),
  );
});

async function handle(msg: WorkerRequest): Promise<WorkerResponse & { ok: true }> {
  if (!keys) throw new Error("this worker has no keys yet");
  const { init, idKey, session, keyring } = keys;
  if (msg.op === "chunk") return { seq: msg.seq, ok: true, chunks: chunkPiece(keys, msg.stream, msg.piece) };
  if (msg.op === "readFiles") {
    const { chunker } = init;
    if (!chunker) throw new Error("this pool was started without a chunker key");
    const files = msg.paths.map((p) => {
      const read = readSmallFile(
        typeof p === "string" ? p : view(p),
        idKey,
        chunker.params,
        () => (fileChunker ??= new Chunker(chunker.key, chunker.params)),
      );
      return "chunks" in read
        ? { size: read.size, chunks: read.chunks.map((c) => ({ id: new Uint8Array(c.id), plain: whole(c.plain) })) }
        : read;
    });
    return { seq: msg.seq, ok: true, files };
  }
  if (msg.op === "sealMany") {
    if (!session) throw new Error("this pool was started without a session key");
    const sealed = [];
    for (const it of msg.items) {
      const s = await seal(session, init.studioId, view(it.id), view(it.plain));
      sealed.push({ envelope: whole(s.envelope), sha256: s.sha256 });
    }
    return { seq: msg.seq, ok: true, sealed };
  }
  if (msg.op === "open") {
    if (!keyring) throw new Error("this pool was started without the studio's box key");
    const data = view(msg.data);
    const plains: Uint8Array[] = [];
    for (const p of msg.parts) {
      plains.push(own(await openChunk(keyring, idKey, init.studioId, view(p.id), data.subarray(p.offset, p.offset + p.size))));
    }
    return { seq: msg.seq, ok: true, plains };
  }
  const plain = view(msg.plain);
  if (msg.op === "id") return { seq: msg.seq, ok: true, id: chunkId(idKey, plain), plain: msg.plain };
  if (!session) throw new Error("this pool was started without a session key");
  const { envelope, sha256 } = await seal(session, init.studioId, view(msg.id), plain);
  return { seq: msg.seq, ok: true, envelope: whole(envelope), sha256 };
}

function chunkPiece({ init, idKey }: Keys, stream: number, piece: Uint8Array | null): Array<{ id: Uint8Array; plain: Uint8Array }> {
  if (!init.chunker) throw new Error("this pool was started without a chunker key");
  let chunker = streams.get(stream);
  if (!chunker) streams.set(stream, (chunker = new Chunker(init.chunker.key, init.chunker.params)));
  const done = piece ? chunker.push(piece) : [];
  if (!piece) {
    streams.delete(stream);
    const last = chunker.finish();
    if (last) done.push(last);
  }
  return done.map((plain) => ({ id: new Uint8Array(chunkId(idKey, plain)), plain: whole(plain) }));
}

/**
 * A fresh result, to transfer back without a copy: AES-GCM's output is an ArrayBuffer of its own,
 * and a stored chunk's plaintext is that output minus its first byte (the codec). Small buffers
 * (below 4 KiB) can be slices of Node's shared pool, where the rest of the ArrayBuffer belongs to
 * others: those are copied.
 */
function own(b: Buffer): Uint8Array {
  if (b.buffer instanceof ArrayBuffer && b.buffer.byteLength - b.byteLength <= 1)
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return whole(b);
}

/**
 * The bytes in an ArrayBuffer of their own, to transfer back: as they are when the buffer is
 * theirs alone (a fresh result: nothing in this thread keeps it), else copied.
 */
function whole(b: Buffer): Uint8Array {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) return new Uint8Array(b.buffer);
  const out = new Uint8Array(new ArrayBuffer(b.length));
  out.set(b);
  return out;
}
