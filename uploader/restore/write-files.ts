// The files of a restore, in manifest order, as they come from the (spooled) manifest: their
// chunks downloaded several at a time ahead of the file being written (prefetch.ts, chunk-reader.ts)
// while earlier files finish (file-writer.ts). Three bounded queues: the files read ahead of the
// one being written (at most AHEAD_CHUNKS chunk ids or AHEAD_FILES files), the chunks fetched
// ahead (16 MiB of small ones, prefetch.ts), and the writes in flight (8 MiB, file-writer.ts).
import type { ManifestEntry } from "../format/index.ts";
import { describeError } from "../scanner.ts";
import { ChunkWindow } from "./chunk-order.ts";
import { FileWriter, type FileToWrite } from "./file-writer.ts";
import { orderedPrefetch } from "./prefetch.ts";
import { fsTime, type FailedEntry, type RestoredEntries, type RestoreEntriesOptions, type RestoreSource } from "./restore-entries.ts";
import { filesystemSync } from "./sync-filesystem.ts";
import type { TargetNames } from "./target-names.ts";
import type { TargetTree } from "./target-tree.ts";

/**
 * Chunk ids known ahead of the one being written: more than the prefetch takes ahead (4096) plus
 * one batch of URLs (256), so neither waits for the manifest.
 */
const AHEAD_CHUNKS = 8192;
/** Files read ahead (bounds a run of empty files, which have no chunks). */
const AHEAD_FILES = 8192;
/** Ids kept behind the one being written: the chunk reader looks back this far (LOCATE_WINDOW). */
const BEHIND_CHUNKS = 8192;

export async function writeFiles(
  src: RestoreSource,
  files: AsyncIterator<ManifestEntry>,
  tree: TargetTree,
  names: TargetNames,
  o: RestoreEntriesOptions,
  mode: (m: number) => number,
): Promise<Omit<RestoredEntries, "mapped">> {
  const order = new ChunkWindow();
  src.planFetches(order);
  // At least 16 chunks ahead, and up to 16 MiB of small ones: several ranged GETs of up to 4 MiB
  // in flight (chunk-reader.ts).
  const chunks = orderedPrefetch(order, src.fetchChunk, { parallel: o.parallel ?? 16, maxBytes: 16 * 1024 * 1024 });
  // Up to 8 MiB of writes in flight; files synced in batches in the background (file-writer.ts).
  const writer = new FileWriter({
    maxWriteBytes: 8 * 1024 * 1024,
    sparse: o.sparse ?? true,
    onWritten: (plain) => src.recycle(plain),
    syncFilesystems: filesystemSync(),
  });
  const ahead: ManifestEntry[] = [];
  let done = false;
  let consumed = 0;
  const readAhead = async () => {
    while (!done && order.end - consumed < AHEAD_CHUNKS && ahead.length < AHEAD_FILES) {
      const next = await files.next();
      if (next.done) {
        done = true;
        break;
      }
      const f = next.value;
      ahead.push(f);
      // A chunk's expected size: its file's size shared by its chunks (exact for one-chunk files).
      const ids = f.chunks ?? [];
      for (const id of ids) order.push(id, Math.ceil((f.size ?? 0) / ids.length));
    }
  };

  // Each file carries its entry, for the report: nothing is kept per file once it is written.
  type Tagged = FileToWrite & { entry: ManifestEntry };
  let count = 0;
  let bytes = 0;
  const failed: FailedEntry[] = [];
  try {
    for (;;) {
      await readAhead();
      const f = ahead.shift();
      if (!f) break;
      const segs = names.segments(f);
      let begun = false;
      try {
        const dir = await tree.ensureDirs(segs, segs.length - 1);
        const file: Tagged = { dir, name: segs.at(-1)!, mode: mode(f.mode), mtimeSec: fsTime(f.mtimeMs), entry: f };
        await writer.begin(file);
        count++;
        bytes += f.size ?? 0;
        begun = true;
      } catch (err) {
        failed.push({ path: f.path, error: describeError(err) });
      }
      // A file that could not be begun still takes its chunks from the (ordered) download.
      for (let i = 0; i < (f.chunks?.length ?? 0); i++) {
        const plain = await chunks.next();
        consumed++;
        if (begun) await writer.write(plain);
        else src.recycle(plain);
        o.progress.advance(plain.length);
      }
      order.trim(consumed - BEHIND_CHUNKS);
      if (begun) await writer.end();
    }
  } finally {
    await files.return?.();
    // On a failure of the whole restore (a chunk that cannot be fetched) this closes and removes
    // the file being written; that error is the one that propagates.
    for (const { file, err } of await writer.settle()) {
      const { entry } = file as Tagged;
      failed.push({ path: entry.path, error: describeError(err) });
      count--;
      bytes -= entry.size ?? 0;
    }
  }
  return { files: count, bytes, failed };
}
