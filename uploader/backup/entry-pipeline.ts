// Turns the scanned entries into the manifest's entries, in scan order, reading what changed:
// - a folder, a link or a file the cache knows unchanged costs nothing but its entry;
// - a small file (up to SMALL_FILE_MAX) joins a batch that a worker reads and chunks whole
//   (small-file.ts); up to BATCHES_AHEAD batches are read while earlier ones are handed over;
// - a larger file is streamed (read-file.ts) once everything before it was handed over.
// Chunks reach the sink in file order whatever finished first, so a file's chunks sit together in
// packs (one ranged GET on restore). A file that cannot be read is skipped and reported; a failure
// of the pipeline itself (workers, uploads) is thrown.
//
// Memory: the entries between the oldest unread batch and the newest are held, at most
// MAX_HELD; every file is recorded in the cache in scan order (journaled, the resume record,
// once all its chunks are stored: file-cache.ts).
import { readlink } from "node:fs/promises";
import { targetFromBytes, type ManifestEntry, type ManifestStats } from "../format/index.ts";
import type { Progress } from "../progress.ts";
import { describeError, type ScannedEntry, type Skipped } from "../scanner.ts";
import type { AddedChunk, ChunkSink } from "./chunk-sink.ts";
import type { CryptoPool } from "../crypto/crypto-pool.ts";
import type { FileCache } from "./file-cache.ts";
import { PipelineError, readFileChunks } from "./read-file.ts";
import { SMALL_FILE_MAX, type SmallFileRead } from "./small-file.ts";

/** A batch is read by one worker: at most this many files or bytes. */
const BATCH_FILES = 64;
const BATCH_BYTES = 1024 * 1024;
/** Batches read ahead of the one handed over (each by one worker): the workers keep reading, within the memory bound. */
const BATCHES_AHEAD = 1;
/** Entries held waiting for a batch before it is sent off unfilled. */
const MAX_HELD = 4096;

export interface PipelineDeps {
  pool: CryptoPool;
  sink: ChunkSink;
  cache: FileCache;
  progress: Progress;
  skipped: Skipped[];
  /** Called with each manifest entry, in scan order; the next waits for it. */
  emit(entry: ManifestEntry): Promise<void>;
}

export interface PipelineCounts {
  stats: ManifestStats;
  bytesRead: number;
  filesUnchanged: number;
}

interface Batch {
  files: ScannedEntry[];
  bytes: number;
  read: Promise<SmallFileRead[]> | null;
}

type Step =
  | { kind: "done"; entry: ManifestEntry; cached?: ScannedEntry }
  | { kind: "symlink"; e: ScannedEntry; base: Base }
  | { kind: "small"; e: ScannedEntry; base: Base; batch: Batch; index: number }
  | { kind: "large"; e: ScannedEntry; base: Base };

type Base = Pick<ManifestEntry, "path" | "pathBytes" | "mode" | "mtimeMs">;

/**
 * Resolves once every entry was emitted; `journaled()` resolves once the files whose chunks are
 * stored were journaled (call it after the sink's flush(): the last pack goes then).
 */
export async function runEntryPipeline(
  scanned: AsyncIterable<ScannedEntry> | Iterable<ScannedEntry>,
  d: PipelineDeps,
): Promise<PipelineCounts & { journaled(): Promise<void> }> {
  const counts: PipelineCounts = { stats: { files: 0, dirs: 0, symlinks: 0, bytes: 0 }, bytesRead: 0, filesUnchanged: 0 };
  const held: Step[] = [];
  let open: Batch | null = null;
  let batchesHeld = 0;

  const send = () => {
    if (!open) return;
    const batch = open;
    open = null;
    batch.read = d.pool.readFiles(batch.files.map((f) => f.abs));
    batch.read.catch(() => undefined); // observed when its first file is handed over
  };
  const handOver = async () => {
    const step = held.shift()!;
    if (step.kind === "small" && step.index === 0) batchesHeld--;
    if (step.kind === "done" && step.cached) await d.cache.record(step.cached.key, step.cached.stat, step.entry.chunks!);
    const entry = await finish(step, d, counts);
    if (entry) await d.emit(entry);
  };

  for await (const e of scanned) {
    const base: Base = {
      path: e.path,
      ...(e.pathBytes ? { pathBytes: e.pathBytes } : {}),
      mode: e.stat.mode & 0o7777,
      mtimeMs: Math.trunc(e.stat.mtimeMs),
    };
    if (e.type === "dir") {
      counts.stats.dirs++;
      held.push({ kind: "done", entry: { ...base, type: "dir" } });
    } else if (e.type === "symlink") {
      held.push({ kind: "symlink", e, base });
    } else {
      const cached = await d.cache.lookup(e.key, e.stat);
      if (cached) {
        for (const hex of cached) d.sink.reference(hex);
        counts.filesUnchanged++;
        counts.stats.files++;
        counts.stats.bytes += e.stat.size;
        d.progress.advance(e.stat.size);
        held.push({ kind: "done", entry: { ...base, type: "file", size: e.stat.size, chunks: cached }, cached: e });
      } else if (e.stat.size <= SMALL_FILE_MAX) {
        if (open && open.bytes + e.stat.size > BATCH_BYTES) send();
        if (!open) {
          open = { files: [], bytes: 0, read: null };
          batchesHeld++;
        }
        held.push({ kind: "small", e, base, batch: open, index: open.files.length });
        open.files.push(e);
        open.bytes += e.stat.size;
        if (open.files.length >= BATCH_FILES) send();
      } else {
        // Streamed in order: everything before it is handed over first, then the file itself.
        send();
        held.push({ kind: "large", e, base });
        while (held.length) await handOver();
      }
    }
    // The oldest batches are handed over once more than BATCHES_AHEAD are held (the open one is
    // always the newest, so it is never reached here); a long run of entries without a full batch
    // (an unchanged library) sends the open batch unfilled.
    while (batchesHeld > BATCHES_AHEAD) await handOver();
    if (held.length > MAX_HELD) {
      send();
      while (held.length > MAX_HELD / 2) await handOver();
    }
  }
  send();
  while (held.length) await handOver();
  return { ...counts, journaled: () => d.cache.journaled() };
}

/** The entry of one step, once its file (if any) is handed over to the sink; null if skipped. */
async function finish(step: Step, d: PipelineDeps, counts: PipelineCounts): Promise<ManifestEntry | null> {
  if (step.kind === "done") return step.entry;
  const { e, base } = step;
  if (step.kind === "symlink") {
    counts.stats.symlinks++;
    return { ...base, type: "symlink", ...targetFromBytes(await readlink(e.abs, { encoding: "buffer" })) };
  }
  let size: number;
  let added: AddedChunk[];
  if (step.kind === "small") {
    if (!step.batch.read) throw new Error("entry pipeline: a batch was handed over before it was sent");
    const read = (await step.batch.read)[step.index]!;
    if (step.index === step.batch.files.length - 1) step.batch.read = null; // the last of its files: let it go
    if ("error" in read) {
      d.skipped.push({ path: e.path, error: describeError(read.error) });
      return null;
    }
    size = read.size;
    added = [];
    for (const c of read.chunks) added.push(await d.sink.addIdentified(c.id, c.plain));
    d.progress.advance(size);
  } else {
    try {
      const read = await readFileChunks(e.abs, d.pool, d.sink, (n) => d.progress.advance(n));
      size = read.size;
      added = read.chunks;
    } catch (err) {
      if (err instanceof PipelineError) throw err.cause;
      d.skipped.push({ path: e.path, error: describeError(err) });
      return null;
    }
  }
  counts.bytesRead += size;
  counts.stats.files++;
  counts.stats.bytes += size;
  const chunks = await Promise.all(added.map((c) => c.hex));
  // Journaled once all its chunks are stored: a killed run resumes after it.
  void d.cache.record(e.key, e.stat, chunks, Promise.all(added.map((c) => c.stored)));
  return { ...base, type: "file", size, chunks };
}
