// `datasafe backup`: scan -> (unchanged files from the cache | read -> chunk -> dedup/upload) ->
// manifest (encrypted, chunked, signed) -> reference pages -> commit. Never needs the
// passphrase: chunks are encrypted to the studio's public key through a per-run ephemeral key
// that is never stored. Unreadable files are skipped and reported, not fatal.
import { randomUUID } from "node:crypto";
import { ApiClient } from "../api/client.ts";
import { deviceCredentials } from "../api/credentials.ts";
import { hasCode } from "../errors.ts";
import { chunkerParamsFor, newSessionKey } from "../format/index.ts";
import type { Progress } from "../progress.ts";
import { planScan, scanEntries, type ScanFindings, type Skipped } from "../scanner.ts";
import { readAhead } from "../util/read-ahead.ts";
import type { DeviceState } from "../state.ts";
import { ChunkSink, DEFAULT_SINK_OPTIONS, type SinkOptions } from "./chunk-sink.ts";
import { commitRestorePoint } from "./commit.ts";
import { CryptoPool } from "../crypto/crypto-pool.ts";
import type { ExcludeSpec } from "./excludes.ts";
import { FileCache } from "./file-cache.ts";
import { ManifestWriter } from "./manifest-writer.ts";
import { runEntryPipeline } from "./entry-pipeline.ts";

/** Entries the scan may find ahead of the reading. */
const SCAN_AHEAD = 4096;

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
  /** The server's warning that the studio is near or over its storage quota (protocol/usage.ts), else null. */
  quotaWarning: string | null;
}

export async function runBackup(o: BackupOptions): Promise<BackupResult> {
  try {
    return await attempt(o);
  } catch (err) {
    // The server is the truth: if a cached chunk is gone (repaired, collected), read everything.
    if (hasCode(err, "CHUNKS_MISSING") && !o.fullReread) return attempt({ ...o, fullReread: true });
    throw err;
  }
}

async function attempt(o: BackupOptions): Promise<BackupResult> {
  const started = Date.now();
  const { state } = o;
  const api = new ApiClient(state.server, deviceCredentials(state));
  const plan = await planScan(o.paths, o.excludes);
  const found: ScanFindings = { skipped: [], roots: [], special: 0, excluded: 0 };
  const { skipped } = found; // what the scan could not list, then what could not be read
  o.progress.start(0, "backing up");
  // The scan runs ahead of the reading (never whole in memory); the total grows as it goes.
  const scanned = readAhead(scanEntries(plan, found), SCAN_AHEAD, (e) => e.type === "file" && o.progress.grow(e.stat.size));

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
  const manifest = new ManifestWriter(sink, state);

  try {
    const { stats, bytesRead, filesUnchanged, journaled } = await runEntryPipeline(scanned, {
      pool,
      sink,
      cache,
      progress: o.progress,
      skipped,
      emit: (e) => manifest.add(e),
    });
    const written = await manifest.finish({ restorePointId, stats, skipped, label: o.label });
    await sink.flush();
    await journaled();
    const committed = await commitRestorePoint(api, sink.refs(), {
      ...written,
      label: o.label,
      files: stats.files,
      bytes: stats.bytes,
      skipped: skipped.length,
    });
    await cache.commit(found.roots);
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
      special: found.special,
      excluded: found.excluded,
      durationMs: Date.now() - started,
      quotaWarning: api.quotaWarning?.message ?? null,
    };
  } finally {
    await pool.close();
    await cache.close();
    o.progress.stop();
  }
}
