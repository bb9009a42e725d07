// A worker thread of the CryptoPool: cuts files into chunks, identifies them (keyed MAC) and seals
// them (compress + encrypt), so that this CPU work runs on every core while the main thread reads
// and uploads.
import { parentPort, workerData } from "node:worker_threads";
import { Chunker, chunkId, type ChunkerParams, type SessionKey } from "../format/index.ts";
import { seal } from "./seal.ts";

export interface WorkerInit {
  idKey: Uint8Array;
  studioId: string;
  /** The key of the studio's chunk boundaries and its scheme's parameters (op "chunk"). */
  chunker?: { key: Uint8Array; params: ChunkerParams };
  /** The session key chunks are sealed with (op "seal"). */
  session?: { ephemeralPublicKey: Uint8Array; key: Uint8Array };
}

export type WorkerRequest =
  | { op: "id"; seq: number; plain: Uint8Array }
  | { op: "seal"; seq: number; id: Uint8Array; plain: Uint8Array }
  /** The next piece of stream `stream` (a file), or its end (piece null): the chunks it completes, identified. */
  | { op: "chunk"; seq: number; stream: number; piece: Uint8Array | null };

export type WorkerResponse =
  | {
    seq: number;
    ok: true;
    id?: Uint8Array;
    plain?: Uint8Array;
    envelope?: Uint8Array;
    sha256?: string;
    chunks?: Array<{ id: Uint8Array; plain: Uint8Array }>;
  }
  | { seq: number; ok: false; error: string };

const init = workerData as WorkerInit;
const idKey = Buffer.from(init.idKey);
const view = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const session: SessionKey | null = init.session
  ? { ephemeralPublicKey: view(init.session.ephemeralPublicKey), key: view(init.session.key) }
  : null;
/** One chunker per open stream; a stream's pieces all come to this worker, in order. */
const streams = new Map<number, Chunker>();

parentPort!.on("message", (msg: WorkerRequest) => {
  void handle(msg).then(
    (res) => {
      const transfer = [res.plain?.buffer, res.envelope?.buffer, ...(res.chunks ?? []).map((c) => c.plain.buffer)]
        .filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
      parentPort!.postMessage(res, transfer);
    },
    (err: unknown) => parentPort!.postMessage({ seq: msg.seq, ok: false, error: String((err as Error)?.message ?? err) }),
  );
});

async function handle(msg: WorkerRequest): Promise<WorkerResponse & { ok: true }> {
  if (msg.op === "chunk") return { seq: msg.seq, ok: true, chunks: chunkPiece(msg.stream, msg.piece) };
  const plain = view(msg.plain);
  if (msg.op === "id") return { seq: msg.seq, ok: true, id: chunkId(idKey, plain), plain: msg.plain };
  if (!session) throw new Error("this pool was started without a session key");
  const { envelope, sha256 } = await seal(session, init.studioId, view(msg.id), plain);
  return { seq: msg.seq, ok: true, envelope: whole(envelope), sha256 };
}

function chunkPiece(stream: number, piece: Uint8Array | null): Array<{ id: Uint8Array; plain: Uint8Array }> {
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
 * The bytes in an ArrayBuffer of their own, to transfer back: as they are when the buffer is
 * theirs alone (a fresh result: nothing in this thread keeps it), else copied.
 */
function whole(b: Buffer): Uint8Array {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) return new Uint8Array(b.buffer);
  const out = new Uint8Array(new ArrayBuffer(b.length));
  out.set(b);
  return out;
}
