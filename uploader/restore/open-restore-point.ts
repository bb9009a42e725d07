// Opens a restore point for reading: unlocks the studio keys with the passphrase, then fetches,
// decrypts and authenticates the manifest (root signature by a studio-certified device, body
// digest, every chunk id recomputed). Shared by restore and verify. Chunks are opened on worker
// threads when asked for (restore), each download handed to one worker whole.
import { ChunkReader } from "../api/chunk-reader.ts";
import type { ApiClient, RestorePointView } from "../api/client.ts";
import { CryptoPool } from "../crypto/crypto-pool.ts";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { decodeRoot, FormatError, hexToId, verifyRoot, type ManifestRoot, type StudioSecrets } from "../format/index.ts";
import { unlockAsync } from "../studio-keys.ts";
import { CliError } from "../errors.ts";
import { stateHome, type DeviceState } from "../state.ts";
import { SpooledEntries, type EntrySource } from "./manifest-spool.ts";
import type { ChunkOrder } from "./chunk-order.ts";

export interface OpenedRestorePoint {
  view: RestorePointView;
  root: ManifestRoot;
  /** The manifest's entries, checked, read from disk (manifest-spool.ts) by each `for await`. */
  entries: EntrySource;
  /** The unlocked studio keys (verify signs its report with the studio sign key). */
  secrets: StudioSecrets;
  /** Downloads, decrypts and authenticates one chunk. */
  fetchChunk(hex: string): Promise<Buffer>;
  /** Tells the downloader the order chunks will be fetched in (to fetch URLs ahead). */
  planFetches(ids: readonly string[] | ChunkOrder): void;
  /** Chunks fetched so far, straight from the bucket and through the API. */
  readonly fetches: { direct: number; relay: number };
  /** Gives back a chunk fetchChunk() returned, once nothing uses it any more (CryptoPool.recycle). */
  recycle(plain: Buffer): void;
  /** Stops the worker threads and removes the manifest's copy; call it on every path once done. */
  close(): Promise<void>;
}

export function damaged(err: unknown, what: string): CliError {
  const code = err instanceof FormatError ? err.code : "ERROR";
  // A body that authenticates but does not parse (a duplicate, a `..` path) was signed by a
  // device: say what is wrong with it.
  const why = err instanceof FormatError && code === "BAD_MANIFEST" ? `: ${err.message}` : "";
  return new CliError("NOT_AUTHENTIC", `${what} failed authentication (${code}${why}): refusing to use it`);
}

/** `workers`: how many threads open chunks (0: the calling thread does). */
export async function openRestorePoint(
  api: ApiClient,
  state: DeviceState,
  passphrase: string,
  idOrLatest: string,
  opts: { workers?: number } = {},
): Promise<OpenedRestorePoint> {
  const workers = opts.workers ?? 0;
  const [view, keyset] = await Promise.all([api.getRestorePoint(idOrLatest), api.keyset()]);
  // The passphrase's key derivation (~0.4 s) runs on libuv's pool; meanwhile the workers start
  // and the manifest root downloads (it is opened once the keys are known).
  const unlocked = unlockAsync(keyset, passphrase).then((secrets) => {
    // The server could hand out another keyset; this device learnt the real public keys at enrollment.
    if (
      secrets.boxPublicKey.toString("base64") !== state.studioBoxPublicKey ||
      secrets.signPublicKey.toString("base64") !== state.studioSignPublicKey
    ) {
      throw new CliError("KEYSET_SWAPPED", "the server's copy of the studio keys is not the one this device enrolled with");
    }
    return secrets;
  });
  const pool = new CryptoPool(
    unlocked.then((s) => ({
      idKey: s.chunkIdKey,
      studioId: state.studioId,
      box: { privateKey: s.boxPrivateKey, publicKey: s.boxPublicKey },
    })),
    workers,
  );
  try {
    const reader = new ChunkReader(api, (data, parts) =>
      pool.open(
        data,
        parts.map((p) => ({ ...p, id: hexToId(p.hex) })),
      ),
    );
    const authentic = async <T>(what: string, work: Promise<T>): Promise<T> => {
      try {
        return await work;
      } catch (err) {
        throw err instanceof FormatError ? damaged(err, what) : err; // else the download or a worker failed
      }
    };
    // Downloads now; the pool opens it once the keys are known.
    const root = authentic("the manifest", reader.get(view.rootChunkId));
    root.catch(() => undefined); // observed below, unless unlocking fails first
    const secrets = await unlocked;
    const fetchChunk = (hex: string): Promise<Buffer> => authentic(`chunk ${hex}`, reader.get(hex));
    const manifest = await readManifest(view, state, secrets, root, fetchChunk);
    return {
      ...manifest,
      view,
      secrets,
      fetchChunk,
      planFetches: (ids) => reader.plan(ids),
      fetches: reader.stats,
      recycle: (plain) => pool.recycle(plain),
      close: async () => {
        await manifest.entries.close();
        await pool.close();
      },
    };
  } catch (err) {
    await pool.close();
    throw err;
  }
}

async function readManifest(
  view: RestorePointView,
  state: DeviceState,
  secrets: StudioSecrets,
  rootChunk: Promise<Buffer>,
  fetchChunk: (hex: string) => Promise<Buffer>,
): Promise<{ root: ManifestRoot; entries: SpooledEntries }> {
  let root: ManifestRoot;
  try {
    root = decodeRoot(await rootChunk);
    await verifyRoot(root, secrets.signPublicKey, { studioId: state.studioId, restorePointId: view.id });
  } catch (err) {
    throw err instanceof CliError ? err : damaged(err, "the manifest");
  }
  const home = stateHome(state);
  const dir = home ? path.join(home, "cache") : os.tmpdir();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    return { root, entries: await SpooledEntries.fetch(root, fetchChunk, dir) };
  } catch (err) {
    throw err instanceof FormatError ? damaged(err, "the manifest body") : err;
  }
}
