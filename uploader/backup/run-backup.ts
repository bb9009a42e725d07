// `datasafe backup`: scan -> (unchanged files from the cache | read -> chunk -> dedup/upload) ->
// manifest (encrypted, chunked, signed) -> reference pages -> commit. Never needs the
// passphrase: chunks are encrypted to the studio's public key through a per-run ephemeral key
// that is never stored. Unreadable files are skipped and reported, not fatal.
import { randomUUID } from "node:crypto";
import { readlink } from "node:fs/promises";
import { ApiClient } from "../api/client.ts";
import { deviceCredentials } from "../api/credentials.ts";
import { ApiError } from "../api/api-error.ts";
import { chunkerParamsFor, newSessionKey, targetFromBytes, type ManifestEntry, type ManifestStats } from "../format/index.ts";
import type { Progress } from "../progress.ts";
import { describeError, scan, type Skipped } from "../scanner.ts";
import type { DeviceState } from "../state.ts";
import { ChunkSink, DEFAULT_SINK_OPTIONS, type SinkOptions } from "./chunk-sink.ts";
import { commitRestorePoint } from "./commit.ts";
import { CryptoPool } from "./crypto-pool.ts";
import type { ExcludeSpec } from "./excludes.ts";
import { FileCache } from "./file-cache.ts";
import { writeManifest } from "./manifest-writer.ts";
import { PipelineError, readFileChunks } from "./read-file.ts";

export interface BackupOptions {
  state: DeviceState;
  /** DATASAFE_HOME, where the file cache lives. */
  home: string;
  paths: string[];
  label: string | null;
  progress: Progress;
  /** Read every file even if the cache says it is unchanged. */
  fullReread?: boolean;
  /** What to leave out: one spec for all paths or one per path; DEFAULT_EXCLUDES only if absent. */
  excludes?: ExcludeSpec | ExcludeSpec[];
  sink?: Partial<SinkOptions>;
}

export interface BackupResult {
  restorePointId: string;
  files: number;
  bytesRead: number;
  bytesUploaded: number;
  chunksTotal: number;
  chunksUploaded: number;
  /** Chunks that went straight to the bucket (presigned PUT of their pack) rather than through the API. */
  chunksSentDirect: number;
  /** Files not read because the cache says they are unchanged. */
  filesUnchanged: number;
  skipped: Skipped[];
  /** FIFOs, sockets and device files met and not backed up (they hold no data; not an error). */
  special: number;
  /** Files and folders left out by exclude patterns (an excluded folder counts once). */
  excluded: number;
  durationMs: number;
}

export async function runBackup(o: BackupOptions): Promise<BackupResult> {
  try {
    return await attempt(o);
  } catch (err) {
    // The server is the truth: if a cached chunk is gone (repaired, collected), read everything.
    if (err instanceof ApiError && err.code === "CHUNKS_MISSING" && !o.fullReread) return attempt({ ...o, fullReread: true });
    throw err;
  }
}

async function attempt(o: BackupOptions): Promise<BackupResult> {
  const started = Date.now();
  const { state } = o;
  const api = new ApiClient(state.server, deviceCredentials(state));
  const scanned = await scan(o.paths, o.excludes);
  const skipped = [...scanned.skipped];
  o.progress.start(scanned.entries.reduce((n, e) => n + (e.type === "file" ? e.stat.size : 0), 0), "backing up");

  const cache = await FileCache.open(o.home, { ignoreExisting: Boolean(o.fullReread) });
  const pool = new CryptoPool({
    idKey: Buffer.from(state.chunkIdKey, "base64"),
    studioId: state.studioId,
    chunker: { key: Buffer.from(state.chunkerKey, "base64"), params: chunkerParamsFor(state.chunking) },
    session: newSessionKey(Buffer.from(state.studioBoxPublicKey, "base64")),
  });
  // Chosen up front: the restore point id is also the upload session every dedup query and pack
  // of this run names (the server's upload records; a later collector's leases).
  const restorePointId = randomUUID();
  const sink = new ChunkSink(api, pool, restorePointId, { ...DEFAULT_SINK_OPTIONS, ...o.sink });
  const stats: ManifestStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0 };
  const entries: ManifestEntry[] = [];
  let bytesRead = 0;
  let filesUnchanged = 0;
  const journaled: Array<Promise<void>> = [];

  try {
    for (const e of scanned.entries) {
      const name = e.pathBytes ? { path: e.path, pathBytes: e.pathBytes } : { path: e.path };
      const base = { ...name, mode: e.stat.mode & 0o7777, mtimeMs: Math.trunc(e.stat.mtimeMs) };
      if (e.type === "dir") {
        stats.dirs++;
        entries.push({ ...base, type: "dir" });
      } else if (e.type === "symlink") {
        stats.symlinks++;
        entries.push({ ...base, type: "symlink", ...targetFromBytes(await readlink(e.abs, { encoding: "buffer" })) });
      } else {
        let size: number;
        let chunks = cache.lookup(e.key, e.stat);
        if (chunks) {
          for (const hex of chunks) sink.reference(hex);
          size = e.stat.size;
          filesUnchanged++;
          o.progress.advance(size);
        } else {
          let read;
          try {
            read = await readFileChunks(e.abs, pool, sink, (n) => o.progress.advance(n));
          } catch (err) {
            if (err instanceof PipelineError) throw err.cause;
            skipped.push({ path: e.path, error: describeError(err) });
            continue;
          }
          size = read.size;
          bytesRead += size;
          const ids = await Promise.all(read.chunks.map((c) => c.hex));
          chunks = ids;
          // Journal the file once all its chunks are stored: a killed run resumes after it.
          journaled.push(Promise.all(read.chunks.map((c) => c.stored)).then(() => cache.record(e.key, e.stat, ids), () => undefined));
        }
        stats.files++;
        stats.bytes += size;
        entries.push({ ...base, type: "file", size, chunks });
      }
    }

    const manifest = await writeManifest(sink, state, { restorePointId, entries, stats, skipped, label: o.label });
    await sink.flush();
    await Promise.all(journaled);
    const committed = await commitRestorePoint(api, sink.ids(), {
      ...manifest, label: o.label, files: stats.files, bytes: stats.bytes, skipped: skipped.length,
    });
    await cache.commit(scanned.roots);
    return {
      restorePointId: committed.id,
      files: stats.files,
      bytesRead,
      bytesUploaded: sink.stats.bytesUploaded,
      chunksTotal: sink.stats.chunksTotal,
      chunksUploaded: sink.stats.chunksUploaded,
      chunksSentDirect: api.transfers.directChunks,
      filesUnchanged,
      skipped,
      special: scanned.special,
      excluded: scanned.excluded,
      durationMs: Date.now() - started,
    };
  } finally {
    await pool.close();
    await cache.close();
    o.progress.stop();
  }
}
