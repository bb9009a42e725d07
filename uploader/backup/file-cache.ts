// The device's memory of what it already sent: for each file, its size, mtime and inode at the
// time and its chunk ids. A file whose size, mtime and inode are unchanged is not read again
// (a 200 GB photo folder where nothing changed is a quick run). The device cannot decrypt old
// manifests (write-only), so this cache is the only way to know.
//
// On disk, never whole in memory (a million files' records are ~150 MB):
// - files.jsonl: the last complete run's records, sorted by key (cache-order.ts), after a marker
//   line. A run finds a file's record with a cursor that reads forward along with the scan (a
//   merge join: O(1) amortised per file, one record held).
// - journal.jsonl: this run's records, each appended once the file's chunks are stored: in scan
//   order, but a file read waits for its upload (an unchanged file does not wait for it, or a
//   whole unchanged library would queue behind one chunk in an unfilled pack). A killed run leaves
//   it, kept as journal.prev.jsonl and looked up the same way (a record out of order is a miss),
//   so the next run skips what it finished: this is what makes resume cheap. (Two killed runs in a
//   row: the longer journal is kept.)
// - After a committed run, files.jsonl is rewritten: this run's records (the journal's runs of
//   increasing keys, merged) and the old records outside this run's roots, merged in key order.
// Memory: the records waiting for their chunks (bounded by the sink's uploads in flight) and the
// journal's write buffer (record() waits for the disk).
// A files.jsonl of an older version (no marker, not sorted) is read into memory once, as then.
// The server stays the truth: a commit that finds a cached chunk missing is retried with a full
// re-read (see run-backup.ts).
//
// What it reveals to someone holding the PC: absolute paths, sizes, mtimes and chunk ids (keyed
// MACs, not content hashes) of files backed up by the last run, including files deleted since.
// It holds no key and no content.
import type { FileFacts } from "../scanner.ts";
import { rename, rm, stat as statFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { CacheCursor, compareCacheKeys, mergeRecords, parseRecord, readRecords, type CacheRecord } from "./cache-order.ts";
import { LineWriter, readLines } from "../util/line-file.ts";

/** The first line of a sorted files.jsonl. */
const SORTED = '{"order":"path segments, UTF-8 bytes"}';

type Facts = Pick<FileFacts, "size" | "mtimeMs" | "ino">;

const same = (r: CacheRecord, st: Facts) => r.size === st.size && r.mtimeMs === st.mtimeMs && r.ino === String(st.ino);

export class FileCache {
  private readonly cursors: CacheCursor[] = [];
  /** An older version's unsorted files.jsonl, read whole (once: the commit writes it sorted). */
  private legacy: Map<string, CacheRecord> | null = null;
  private journal: LineWriter | null = null;
  /** Records waiting for their chunks to be stored (never reject). */
  private readonly journaling = new Set<Promise<void>>();

  private constructor(private readonly dir: string) {}

  private file(name: string): string {
    return path.join(this.dir, name);
  }

  static async open(home: string, opts: { ignoreExisting: boolean }): Promise<FileCache> {
    const cache = new FileCache(path.join(home, "cache"));
    await mkdir(cache.dir, { recursive: true, mode: 0o700 });
    const journal = await sizeOf(cache.file("journal.jsonl"));
    const prev = await sizeOf(cache.file("journal.prev.jsonl"));
    if (journal !== null && (prev === null || journal >= prev)) await rename(cache.file("journal.jsonl"), cache.file("journal.prev.jsonl"));
    if (!opts.ignoreExisting) {
      // The killed run's journal first: its records are newer than the last complete run's.
      const prevJournal = new CacheCursor(cache.file("journal.prev.jsonl"));
      await prevJournal.collectLate();
      cache.cursors.push(prevJournal);
      if (await isSorted(cache.file("files.jsonl"))) cache.cursors.push(new CacheCursor(cache.file("files.jsonl")));
      else cache.legacy = await loadLegacy(cache.file("files.jsonl"));
    }
    cache.journal = new LineWriter(cache.file("journal.jsonl"), "w");
    return cache;
  }

  /** The chunk ids of an unchanged file, or null if it must be read. Keys come in scan order. */
  async lookup(abs: string, stat: Facts): Promise<string[] | null> {
    for (const cursor of this.cursors) {
      const r = await cursor.find(abs);
      if (r && same(r, stat)) return r.chunks;
    }
    const r = this.legacy?.get(abs);
    return r && same(r, stat) ? r.chunks : null;
  }

  /**
   * Records a file of this run, in scan order: at once if unchanged (no `stored`; resolves once
   * the journal's buffer has room), else once `stored` resolves (its chunks are on the server).
   * A journal that cannot be written costs re-reads, not the backup.
   */
  async record(abs: string, stat: Facts, chunks: string[], stored?: Promise<unknown>): Promise<void> {
    const line = JSON.stringify({ abs, size: stat.size, mtimeMs: stat.mtimeMs, ino: String(stat.ino), chunks });
    if (!stored) return this.journal?.write(line).catch(() => undefined);
    const journaled: Promise<void> = stored
      .then(
        () => this.journal?.push(line),
        () => undefined, // not stored: the next run reads it again
      )
      .finally(() => this.journaling.delete(journaled));
    this.journaling.add(journaled);
  }

  /** Resolves once every file recorded so far whose chunks were stored is journaled, on disk. */
  async journaled(): Promise<void> {
    await Promise.all(this.journaling);
    await this.journal?.flushed();
  }

  /**
   * After a committed run: the files of this run replace the cache entries under its roots
   * (entries of other folders backed up separately stay); the journals are removed.
   */
  async commit(roots: string[]): Promise<void> {
    await this.journaled();
    await this.close();
    const under = (abs: string) => roots.some((r) => abs === r || abs.startsWith(r.endsWith(path.sep) ? r : r + path.sep));
    const outside = async function* (records: AsyncIterable<CacheRecord> | Iterable<CacheRecord>) {
      for await (const r of records) if (!under(r.abs)) yield r;
    };
    const journal = this.file("journal.jsonl");
    const files = this.file("files.jsonl");
    const old = this.legacy
      ? outside([...this.legacy.values()].sort((a, b) => compareCacheKeys(a.abs, b.abs)))
      : outside((await isSorted(files)) ? readRecords(files) : []);
    const sources = [
      ...(await increasingRuns(journal)).map((range) => readRecords(journal, range)),
      outside(readRecords(this.file("journal.prev.jsonl"))),
      old,
    ];
    const tmp = this.file(`files.jsonl.${process.pid}.tmp`);
    const out = new LineWriter(tmp, "w");
    try {
      await out.write(SORTED);
      for await (const r of mergeRecords(sources)) await out.write(JSON.stringify(r));
    } finally {
      await out.close();
    }
    await rename(tmp, this.file("files.jsonl"));
    this.legacy = null;
    await Promise.all(["journal.jsonl", "journal.prev.jsonl"].map((f) => rm(this.file(f), { force: true })));
  }

  async close(): Promise<void> {
    const j = this.journal;
    this.journal = null;
    await j?.close().catch(() => undefined);
    for (const c of this.cursors) await c.close();
  }
}

async function sizeOf(file: string): Promise<number | null> {
  return (await statFile(file).catch(() => null))?.size ?? null;
}

async function isSorted(file: string): Promise<boolean> {
  for await (const { line } of readLines(file)) return line === SORTED;
  return false;
}

async function loadLegacy(file: string): Promise<Map<string, CacheRecord> | null> {
  const known = new Map<string, CacheRecord>();
  for await (const r of readRecords(file)) known.set(r.abs, r);
  return known.size ? known : null;
}

/**
 * The byte ranges of a journal in which keys increase: one per root the run walked (more where
 * names that are not UTF-8 break the order), each merged as one sorted sequence.
 */
async function increasingRuns(file: string): Promise<Array<{ start: number; end: number }>> {
  const runs: Array<{ start: number; end: number }> = [];
  let start = 0;
  let at = 0;
  let last: string | null = null;
  for await (const { line, next } of readLines(file)) {
    const r = parseRecord(line);
    if (r) {
      if (last !== null && compareCacheKeys(r.abs, last) <= 0) {
        runs.push({ start, end: at });
        start = at;
      }
      last = r.abs;
    }
    at = next;
  }
  if (at > start) runs.push({ start, end: at });
  return runs;
}
