// A worker thread of the CryptoPool: identifies chunks (keyed MAC) and seals them (compress +
// encrypt), so that this CPU work runs on every core while the main thread reads and chunks.
import { parentPort, workerData } from "node:worker_threads";
import { chunkId, type SessionKey } from "../format/index.ts";
import { seal } from "./seal.ts";

export interface WorkerInit {
  idKey: Uint8Array;
  studioId: string;
  session: { ephemeralPublicKey: Uint8Array; key: Uint8Array };
}

export type WorkerRequest =
  | { op: "id"; seq: number; plain: Uint8Array }
  | { op: "seal"; seq: number; id: Uint8Array; plain: Uint8Array };

export type WorkerResponse =
  | { seq: number; ok: true; id?: Uint8Array; plain?: Uint8Array; envelope?: Uint8Array; sha256?: string }
  | { seq: number; ok: false; error: string };

const init = workerData as WorkerInit;
const idKey = Buffer.from(init.idKey);
const session: SessionKey = {
  ephemeralPublicKey: Buffer.from(init.session.ephemeralPublicKey),
  key: Buffer.from(init.session.key),
};
const view = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

parentPort!.on("message", (msg: WorkerRequest) => {
  void handle(msg).then(
    (res) => {
      const transfer = [res.plain?.buffer, res.envelope?.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
      parentPort!.postMessage(res, transfer);
    },
    (err: unknown) => parentPort!.postMessage({ seq: msg.seq, ok: false, error: String((err as Error)?.message ?? err) }),
  );
});

async function handle(msg: WorkerRequest): Promise<WorkerResponse & { ok: true }> {
  const plain = view(msg.plain);
  if (msg.op === "id") return { seq: msg.seq, ok: true, id: chunkId(idKey, plain), plain: msg.plain };
  const { envelope, sha256 } = await seal(session, init.studioId, view(msg.id), plain);
  // A fresh, whole ArrayBuffer so it can be transferred back without copying.
  const out = new Uint8Array(new ArrayBuffer(envelope.length));
  out.set(envelope);
  return { seq: msg.seq, ok: true, envelope: out, sha256 };
}
