// Restore in the browser, without the DOM: unlock the studio's keyset with the passphrase or the
// recovery key the owner typed, open and check the restore point's manifest, and read one file.
// Every check is the CLI's own code (uploader/format/reader-*.ts) on WebCrypto: the keyset unwrap
// and its public keys, the root's device certificate and signature and that it is the restore
// point asked for, the body's digest and order, and each chunk's AEAD and keyed id. The server
// answers opaque bytes (GET /v1/studios/:studioId/keyset and .../chunks/:id); the passphrase and
// the keys never leave this page.
import {
  decodeEntries,
  decodeRoot,
  FormatError,
  hexToId,
  openEnvelope,
  SessionKeys,
  unlockKeyset,
  verifyBodyWith,
  verifyRootWith,
  webPrimitives,
  type FormatPrimitives,
  type Keyset,
  type ManifestEntry,
  type ManifestRoot,
  type UnlockSecret,
} from "../../../uploader/format/browser.ts";
import { get, getBytes } from "./api.ts";

/** Where a restore failed: the keys, the manifest (nothing of the point is trusted) or one file. */
export type RestoreStage = "unlock" | "manifest" | "file";

export class RestoreError extends Error {
  constructor(
    readonly stage: RestoreStage,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface PointRef {
  id: string;
  rootChunkId: string;
}

export interface OpenedPoint {
  root: ManifestRoot;
  entries: ManifestEntry[];
  /** The file's bytes, every chunk checked; `progress` gets the bytes done so far. */
  readFile(entry: ManifestEntry, progress?: (done: number) => void): Promise<Blob>;
}

/** How many chunks of a file are downloaded and opened at once. */
const PARALLEL_CHUNKS = 4;

function asRestoreError(stage: RestoreStage, err: unknown): RestoreError | unknown {
  if (!(err instanceof FormatError)) return err; // the network or the API: shown as they are
  return new RestoreError(stage, err.code, err.message);
}

export async function openPoint(studioId: string, point: PointRef, secret: UnlockSecret): Promise<OpenedPoint> {
  const p: FormatPrimitives = webPrimitives(globalThis.crypto);
  const base = `/v1/studios/${studioId}`;
  const { keyset } = await get<{ keyset: Keyset }>(`${base}/keyset`);
  let secrets;
  try {
    secrets = await unlockKeyset(p, keyset, secret);
  } catch (err) {
    throw asRestoreError("unlock", err);
  }
  const keys = new SessionKeys(p, secrets.boxPrivateKey, secrets.boxPublicKey);
  const chunk = async (hex: string): Promise<Uint8Array> =>
    openEnvelope(p, keys, secrets.chunkIdKey, studioId, hexToId(hex), await getBytes(`${base}/chunks/${hex}`));

  let root: ManifestRoot;
  let entries: ManifestEntry[];
  try {
    root = await verifyRootWith(p, decodeRoot(await chunk(point.rootChunkId)), secrets.signPublicKey, {
      studioId,
      restorePointId: point.id,
    });
    const parts = await Promise.all(root.body.chunks.map(chunk));
    const body = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
    parts.reduce((at, b) => (body.set(b, at), at + b.length), 0);
    await verifyBodyWith(p, root, body);
    entries = decodeEntries(body);
  } catch (err) {
    throw asRestoreError("manifest", err);
  }

  async function readFile(entry: ManifestEntry, progress?: (done: number) => void): Promise<Blob> {
    const ids = entry.chunks ?? [];
    const parts: Uint8Array[] = new Array<Uint8Array>(ids.length);
    let done = 0;
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const i = next++;
        parts[i] = await chunk(ids[i]!);
        done += parts[i].length;
        progress?.(done);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(PARALLEL_CHUNKS, ids.length) }, worker));
    } catch (err) {
      throw asRestoreError("file", err);
    }
    if (done !== (entry.size ?? 0))
      throw new RestoreError("file", "SIZE_MISMATCH", `the file's chunks hold ${done} bytes, its entry says ${entry.size}`);
    return new Blob(parts as Uint8Array<ArrayBuffer>[], { type: "application/octet-stream" });
  }

  return { root, entries, readFile };
}

/** What the page says for a failure, naming what failed. */
export function restoreMessage(err: unknown): string {
  if (!(err instanceof RestoreError)) return `The restore stopped: ${err instanceof Error ? err.message : String(err)}`;
  if (err.code === "BAD_PASSPHRASE") return "Wrong passphrase: it does not unlock this studio's keys. Check it and try again.";
  if (err.code === "BAD_RECOVERY_KEY")
    return "Wrong recovery key: it is not the one printed for this studio (or is mistyped). Check it and try again.";
  if (err.code === "UNSUPPORTED_CODEC")
    return `This page cannot decode part of the restore point (${err.message}). Restore it with the datasafe CLI.`;
  if (err.stage === "unlock") return `The studio's keys from the server failed their checks (${err.code}): refusing to use them.`;
  if (err.stage === "manifest")
    return `Tampered or damaged manifest: the restore point's list of files failed its checks (${err.code}). Nothing from it is trusted; contact support.`;
  return `Damaged data: a chunk of this file failed its checks (${err.code}). This file cannot be restored from this restore point; the other files can.`;
}
