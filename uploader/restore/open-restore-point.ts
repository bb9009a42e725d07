// Opens a restore point for reading: unlocks the studio keys with the passphrase, then fetches,
// decrypts and authenticates the manifest (root signature by a studio-certified device, body
// digest, every chunk id recomputed). Shared by restore and verify.
import { ChunkReader } from "../api/chunk-reader.ts";
import type { ApiClient, RestorePointView } from "../api/client.ts";
import {
  DecryptKeyring, decodeEntries, decodeRoot, FormatError, hexToId, openChunk, verifyBody, verifyRoot,
  type ManifestEntry, type ManifestRoot, type StudioSecrets,
} from "../format/index.ts";
import { unlockAsync } from "../studio-keys.ts";
import { CliError, EXIT } from "../errors.ts";
import type { DeviceState } from "../state.ts";

export interface OpenedRestorePoint {
  view: RestorePointView;
  root: ManifestRoot;
  entries: ManifestEntry[];
  /** The unlocked studio keys (verify signs its report with the studio sign key). */
  secrets: StudioSecrets;
  /** Downloads, decrypts and authenticates one chunk. */
  fetchChunk(hex: string): Promise<Buffer>;
  /** Tells the downloader the order chunks will be fetched in (to fetch URLs ahead). */
  planFetches(ids: readonly string[]): void;
  /** Chunks fetched so far, straight from the bucket and through the API. */
  readonly fetches: { direct: number; relay: number };
}

export function damaged(err: unknown, what: string): CliError {
  const code = err instanceof FormatError ? err.code : "ERROR";
  return new CliError("NOT_AUTHENTIC", `${what} failed authentication (${code}): refusing to use it`, EXIT.error);
}

export async function openRestorePoint(api: ApiClient, state: DeviceState, passphrase: string, idOrLatest: string): Promise<OpenedRestorePoint> {
  const [view, keyset] = await Promise.all([api.getRestorePoint(idOrLatest), api.keyset()]);
  const reader = new ChunkReader(api);
  // The manifest root downloads while the passphrase's key derivation (~0.4 s) runs.
  const rootEnvelope = reader.get(view.rootChunkId);
  rootEnvelope.catch(() => undefined); // observed below, unless unlocking fails first
  const secrets = await unlockAsync(keyset, passphrase);
  // The server could hand out another keyset; this device learnt the real public keys at enrollment.
  if (
    secrets.boxPublicKey.toString("base64") !== state.studioBoxPublicKey ||
    secrets.signPublicKey.toString("base64") !== state.studioSignPublicKey
  ) {
    throw new CliError("KEYSET_SWAPPED", "the server's copy of the studio keys is not the one this device enrolled with", EXIT.auth);
  }
  const keyring = new DecryptKeyring(secrets);
  const open = async (hex: string, envelope: Buffer): Promise<Buffer> => {
    try {
      return await openChunk(keyring, secrets.chunkIdKey, state.studioId, hexToId(hex), envelope);
    } catch (err) {
      throw damaged(err, `chunk ${hex}`);
    }
  };
  const fetchChunk = async (hex: string): Promise<Buffer> => open(hex, await reader.get(hex));

  let root: ManifestRoot;
  try {
    root = decodeRoot(await open(view.rootChunkId, await rootEnvelope));
    verifyRoot(root, secrets.signPublicKey, { studioId: state.studioId, restorePointId: view.id });
  } catch (err) {
    throw err instanceof CliError ? err : damaged(err, "the manifest");
  }
  const parts: Buffer[] = [];
  for (const hex of root.body.chunks) parts.push(await fetchChunk(hex));
  const body = Buffer.concat(parts);
  let entries: ManifestEntry[];
  try {
    verifyBody(root, body);
    entries = decodeEntries(body);
  } catch (err) {
    throw damaged(err, "the manifest body");
  }
  return { view, root, entries, secrets, fetchChunk, planFetches: (ids) => reader.plan(ids), fetches: reader.stats };
}
