// The order the file cache keeps its records in, and the cursor that finds a file's record by
// walking forward along with the scan (a merge join: no index, no map of every file).
//
// The scan (scanner.ts) walks each root in preorder with siblings in name-byte order: that is the
// order of the paths compared segment by segment, each segment by its UTF-8 bytes. compareCacheKeys
// is that order on the cache's keys (absolute paths), so within one root the scan meets files in
// increasing key order. Across roots it does not (roots are walked by their top-level name), and
// a key of a name that is not UTF-8 (`<root><sep>\0<base64>`, scanner.ts) does not sort as its
// bytes would: the cursor then restarts from the top of the file, or misses. A miss only means
// the file is read again (its chunks dedup on the server): never a wrong record, because a record
// is used only for the same key, size, mtime and inode.
import path from "node:path";
import { compareUtf8 } from "../format/entry-order.ts";
import { readLines } from "../util/line-file.ts";

export interface CacheRecord {
  abs: string;
  size: number;
  mtimeMs: number;
  ino: string;
  chunks: string[];
}

const SEP = path.sep.charCodeAt(0);

/** Segment by segment, each by its UTF-8 bytes: a folder's path sorts before everything in it. */
export function compareCacheKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === SEP) return -1; // the end of a segment sorts before any longer name
    if (y === SEP) return 1;
    return compareUtf8(a.slice(i, i + 2), b.slice(i, i + 2));
  }
  return a.length - b.length;
}

/** A record line, or null for a line that is not one (a torn last line of a killed run's journal). */
export function parseRecord(line: string): CacheRecord | null {
  if (!line || line[0] !== "{") return null;
  try {
    const r = JSON.parse(line) as CacheRecord;
    return typeof r.abs === "string" && Array.isArray(r.chunks) ? r : null;
  } catch {
    return null;
  }
}

/** The records of a file, in its order, one at a time. */
export async function* readRecords(file: string, range: { start?: number; end?: number } = {}): AsyncGenerator<CacheRecord> {
  for await (const { line } of readLines(file, range)) {
    const r = parseRecord(line);
    if (r) yield r;
  }
}

/**
 * Finds records by key in a file sorted by compareCacheKeys, for keys asked in (mostly)
 * increasing order: each lookup reads forward from where the last one stopped; a key smaller
 * than the last one asked (the next root) starts again from the top. Holds one record.
 */
export class CacheCursor {
  private records: AsyncGenerator<CacheRecord> | null = null;
  private head: CacheRecord | null = null;
  private ended = false;
  private last: string | null = null;
  /** How many times the cursor went back to the top (roots, keys not in byte order). */
  restarts = 0;

  constructor(private readonly file: string) {}

  async find(key: string): Promise<CacheRecord | null> {
    if (this.last !== null && compareCacheKeys(key, this.last) < 0) await this.restart();
    this.last = key;
    if (!this.records) await this.restart();
    for (;;) {
      if (!this.head) {
        if (this.ended) return null;
        const next = await this.records!.next();
        if (next.done) {
          this.ended = true;
          return null;
        }
        this.head = next.value;
      }
      const c = compareCacheKeys(this.head.abs, key);
      if (c > 0) return null;
      if (c === 0) return this.head;
      this.head = null;
    }
  }

  private async restart(): Promise<void> {
    if (this.records) {
      this.restarts++;
      await this.records.return(undefined);
    }
    this.records = readRecords(this.file);
    this.head = null;
    this.ended = false;
  }

  async close(): Promise<void> {
    await this.records?.return(undefined);
    this.records = null;
  }
}

/**
 * Merges sequences each sorted by compareCacheKeys into one, dropping a record whose key is not
 * greater than the last one given (a duplicate, or one out of order): the first of equal keys,
 * in the order of `sources`, wins.
 */
export async function* mergeRecords(sources: Array<AsyncIterator<CacheRecord>>): AsyncGenerator<CacheRecord> {
  const heads: Array<CacheRecord | null> = [];
  for (const s of sources) heads.push(await next(s));
  let last: string | null = null;
  for (;;) {
    let min = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h && (min < 0 || compareCacheKeys(h.abs, heads[min]!.abs) < 0)) min = i;
    }
    if (min < 0) return;
    const r = heads[min]!;
    heads[min] = await next(sources[min]!);
    if (last !== null && compareCacheKeys(r.abs, last) <= 0) continue;
    last = r.abs;
    yield r;
  }
}

async function next(it: AsyncIterator<CacheRecord>): Promise<CacheRecord | null> {
  const n = await it.next();
  return n.done ? null : n.value;
}
