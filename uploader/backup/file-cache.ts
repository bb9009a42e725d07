// The device's memory of what it already sent: for each file, its size, mtime and inode at the
// time and its chunk ids. A file whose size, mtime and inode are unchanged is not read again
// (a 200 GB photo folder where nothing changed is a quick run). The device cannot decrypt old
// manifests (write-only), so this cache is the only way to know.
//
// Files: DATASAFE_HOME/cache/files.jsonl (the last complete run) and journal.jsonl (files
// completed by the current run, appended as their chunks are confirmed stored). A killed run
// leaves its journal, so the next run skips what it finished: this is what makes resume cheap.
// The server stays the truth: a commit that finds a cached chunk missing is retried with a full
// re-read (see run-backup.ts).
//
// What it reveals to someone holding the PC: absolute paths, sizes, mtimes and chunk ids (keyed
// MACs, not content hashes) of files backed up by the last run, including files deleted since.
// It holds no key and no content.
import type { FileFacts } from "../scanner.ts";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

interface Record {
  abs: string;
  size: number;
  mtimeMs: number;
  ino: string;
  chunks: string[];
}

export class FileCache {
  private readonly known = new Map<string, Record>();
  private readonly current = new Map<string, Record>();
  private journal: WriteStream | null = null;

  private constructor(private readonly dir: string) {}

  static async open(home: string, opts: { ignoreExisting: boolean }): Promise<FileCache> {
    const cache = new FileCache(path.join(home, "cache"));
    await mkdir(cache.dir, { recursive: true, mode: 0o700 });
    if (!opts.ignoreExisting) {
      for (const file of ["files.jsonl", "journal.jsonl"]) await cache.load(path.join(cache.dir, file));
    }
    cache.journal = createWriteStream(path.join(cache.dir, "journal.jsonl"), { flags: "a", mode: 0o600 });
    return cache;
  }

  private async load(file: string): Promise<void> {
    const text = await readFile(file, "utf8").catch(() => "");
    for (const line of text.split("\n")) {
      if (!line) continue;
      try {
        const r = JSON.parse(line) as Record;
        if (typeof r.abs === "string" && Array.isArray(r.chunks)) this.known.set(r.abs, r);
      } catch {
        // a torn last line of a killed run's journal: ignore it, the file is simply read again
      }
    }
  }

  /** The chunk ids of an unchanged file, or null if it must be read. */
  lookup(abs: string, stat: Pick<FileFacts, "size" | "mtimeMs" | "ino">): string[] | null {
    const r = this.known.get(abs);
    if (!r || r.size !== stat.size || r.mtimeMs !== stat.mtimeMs || r.ino !== String(stat.ino)) return null;
    this.current.set(abs, r);
    return r.chunks;
  }

  /** Records a file whose chunks are all stored on the server. */
  record(abs: string, stat: Pick<FileFacts, "size" | "mtimeMs" | "ino">, chunks: string[]): void {
    const r: Record = { abs, size: stat.size, mtimeMs: stat.mtimeMs, ino: String(stat.ino), chunks };
    this.current.set(abs, r);
    this.journal?.write(`${JSON.stringify(r)}\n`);
  }

  /**
   * After a committed run: the files of this run replace the cache entries under its roots
   * (entries of other folders backed up separately stay); the journal is emptied.
   */
  async commit(roots: string[]): Promise<void> {
    await this.close();
    const under = (abs: string) => roots.some((r) => abs === r || abs.startsWith(r.endsWith(path.sep) ? r : r + path.sep));
    for (const [abs, r] of this.known) if (!under(abs) && !this.current.has(abs)) this.current.set(abs, r);
    const tmp = path.join(this.dir, `files.jsonl.${process.pid}.tmp`);
    await writeFile(tmp, [...this.current.values()].map((r) => `${JSON.stringify(r)}\n`).join(""), { mode: 0o600 });
    await rename(tmp, path.join(this.dir, "files.jsonl"));
    await rm(path.join(this.dir, "journal.jsonl"), { force: true });
  }

  async close(): Promise<void> {
    const j = this.journal;
    this.journal = null;
    if (j) await new Promise<void>((resolve) => j.end(resolve));
  }
}
