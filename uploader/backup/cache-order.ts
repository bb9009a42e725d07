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
  /** The last key read from the file, and records met after a greater key (a journal's files that waited for their upload). */
  private read: string | null = null;
  private readonly late = new Map<string, CacheRecord>();
  /** How many times the cursor went back to the top (roots, keys not in byte order). */
  restarts = 0;

  constructor(private readonly file: string) {}

  async find(key: string): Promise<CacheRecord | null> {
    if (this.last !== null && compareCacheKeys(key, this.last) < 0) await this.restart();
    this.last = key;
    if (!this.records) await this.restart();
    const late = this.late.get(key);
    if (late) return late;
    for (;;) {
      if (!this.head) {
        if (this.ended) return null;
        const next = await this.records!.next();
        if (next.done) {
          this.ended = true;
          return null;
        }
        if (this.read !== null && compareCacheKeys(next.value.abs, this.read) < 0) {
          this.late.set(next.value.abs, next.value);
          continue;
        }
        this.read = next.value.abs;
        this.head = next.value;
      }
      const c = compareCacheKeys(this.head.abs, key);
      if (c > 0) return null;
      if (c === 0) return this.head;
      this.head = null;
    }
  }

  /**
   * Reads the file once for its records that come after a greater key (a journal's files that
   * waited for their upload): found by key then, not by the forward walk. Memory: those only.
   */
  async collectLate(): Promise<void> {
    let max: string | null = null;
    for await (const r of readRecords(this.file)) {
      if (max !== null && compareCacheKeys(r.abs, max) < 0) this.late.set(r.abs, r);
      else max = r.abs;
    }
  }

  private async restart(): Promise<void> {
    if (this.records) {
      this.restarts++;
      await this.records.return(undefined);
    }
    this.records = readRecords(this.file);
    this.read = null;
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
 * in the order of `sources`, wins. A heap of the sources' heads: O(log k) a record (a journal
 * has a run per root, and one more where a file waited for its upload).
 */
export async function* mergeRecords(sources: Array<AsyncIterator<CacheRecord>>): AsyncGenerator<CacheRecord> {
  const heap: Array<{ r: CacheRecord; source: number }> = [];
  const less = (a: { r: CacheRecord; source: number }, b: { r: CacheRecord; source: number }) => {
    const c = compareCacheKeys(a.r.abs, b.r.abs);
    return c < 0 || (c === 0 && a.source < b.source);
  };
  const push = (item: { r: CacheRecord; source: number }) => {
    heap.push(item);
    for (let i = heap.length - 1; i > 0;) {
      const up = (i - 1) >> 1;
      if (!less(heap[i]!, heap[up]!)) break;
      [heap[i], heap[up]] = [heap[up]!, heap[i]!];
      i = up;
    }
  };
  const pop = () => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let min = i;
        if (l < heap.length && less(heap[l]!, heap[min]!)) min = l;
        if (r < heap.length && less(heap[r]!, heap[min]!)) min = r;
        if (min === i) break;
        [heap[i], heap[min]] = [heap[min]!, heap[i]!];
        i = min;
      }
    }
    return top;
  };
  for (const [source, s] of sources.entries()) {
    const r = await next(s);
    if (r) push({ r, source });
  }
  let last: string | null = null;
  while (heap.length) {
    const { r, source } = pop();
    const following = await next(sources[source]!);
    if (following) push({ r: following, source });
    if (last !== null && compareCacheKeys(r.abs, last) <= 0) continue;
    last = r.abs;
    yield r;
  }
}

async function next(it: AsyncIterator<CacheRecord>): Promise<CacheRecord | null> {
  const n = await it.next();
  return n.done ? null : n.value;
}
