// Commits a restore point whose manifest holds exactly the given entries, signed by a legitimately
// enrolled device: what a compromised studio PC can produce. The uploader's own pieces do the work
// (chunk sink, signed root, commit); only the body is encoded here, because encodeEntries() refuses
// the hostile entries the tests need (duplicates, `..`).
import { randomUUID } from "node:crypto";
import { ApiClient } from "../../uploader/api/client.ts";
import { ChunkSink } from "../../uploader/backup/chunk-sink.ts";
import { commitRestorePoint } from "../../uploader/backup/commit.ts";
import { CryptoPool } from "../../uploader/crypto/crypto-pool.ts";
import { bodyDigest, encodeRoot, MAX_CHUNK_SIZE, newSessionKey, privateKeyFromB64, signRoot } from "../../uploader/format/index.ts";
import { loadDeviceState } from "../../uploader/state.ts";

export interface CraftedEntry {
  path: string;
  /** Default: a file. */
  type?: "dir" | "symlink";
  data?: string | Buffer;
  target?: string;
  mode?: number;
}

/** `home`: the DATASAFE_HOME of an enrolled PC. Returns the committed restore point's id. */
export async function commitCrafted(home: string, entries: CraftedEntry[], label = "crafted"): Promise<string> {
  const state = await loadDeviceState(home);
  const api = new ApiClient(state.server, state.accessToken);
  const pool = new CryptoPool(
    {
      idKey: Buffer.from(state.chunkIdKey, "base64"),
      studioId: state.studioId,
      session: newSessionKey(Buffer.from(state.studioBoxPublicKey, "base64")),
    },
    0,
  );
  const restorePointId = randomUUID(); // also the upload session of its chunks
  const sink = new ChunkSink(api, pool, restorePointId);
  const stats = { files: 0, dirs: 0, symlinks: 0, bytes: 0 };
  const store = async (data: Buffer): Promise<string[]> => {
    const ids: string[] = [];
    for (let at = 0; at < data.length; at += MAX_CHUNK_SIZE)
      ids.push(await (await sink.add(Buffer.from(data.subarray(at, at + MAX_CHUNK_SIZE)))).hex);
    return ids;
  };
  try {
    const lines: string[] = [];
    for (const e of entries) {
      const base = {
        path: e.path,
        type: e.type ?? "file",
        mode: e.mode ?? (e.type === "dir" ? 0o755 : e.type === "symlink" ? 0o777 : 0o644),
        mtimeMs: 1_700_000_000_000,
      };
      if (e.type === "dir") {
        stats.dirs++;
        lines.push(JSON.stringify(base));
      } else if (e.type === "symlink") {
        stats.symlinks++;
        lines.push(JSON.stringify({ ...base, target: e.target }));
      } else {
        const data = Buffer.from(e.data ?? "");
        stats.files++;
        stats.bytes += data.length;
        lines.push(JSON.stringify({ ...base, size: data.length, chunks: await store(data) }));
      }
    }
    const body = Buffer.from(lines.map((l) => `${l}\n`).join(""));
    const root = encodeRoot(
      signRoot(
        {
          version: 1,
          restorePointId,
          studioId: state.studioId,
          deviceName: state.deviceName,
          createdAt: new Date().toISOString(),
          label,
          stats,
          body: { chunks: await store(body), sha256: bodyDigest(body) },
          device: state.certificate,
        },
        privateKeyFromB64(state.signPrivateKey),
      ),
    );
    const [rootChunkId] = await store(root);
    await sink.flush();
    const committed = await commitRestorePoint(api, sink.refs(), {
      restorePointId,
      rootChunkId: rootChunkId!,
      label,
      files: stats.files,
      bytes: stats.bytes,
      skipped: 0,
    });
    return committed.id;
  } finally {
    await pool.close();
  }
}
