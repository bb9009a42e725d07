// Writes restored files so that the download pipeline does not wait on the disk: a file's chunks
// are written at their offsets, several at a time (up to `maxWriteBytes` in flight), and a complete
// file is synced, given its mode and times, closed and renamed into place in the background (up to
// `maxFinishing` files at once) while the next one is being written.
//
// Contract:
// - files are written one after another: begin(), write()..., end(), then the next begin();
// - `dir` is a real directory inside the restore target, checked by the caller (target-tree.ts);
//   the writer never follows a link: the file is created in `dir` under a short random name
//   (temp-name.ts) with O_CREAT|O_EXCL|O_NOFOLLOW, its mode and times are set through the open
//   handle, and rename() puts it in place, replacing a file or link of that name (never writing
//   through it) and failing on a folder;
// - a file appears under its final name only after all its bytes were written and synced; a file
//   that fails leaves nothing behind (its temporary file is removed; only a killed process leaves
//   a `.ds-*` file);
// - with `sparse`, a chunk of zeros is not written but seeked over, and the file is truncated to
//   its size at the end: runs of zeros stay holes on filesystems that have them;
// - one file failing does not stop the others: begin() rejects when the file cannot be created
//   (then there is nothing to end), later failures of that file (a write, the sync, the rename)
//   are collected, its further writes are dropped, and settle() returns them all;
// - write() and end() resolve when the next call may start (room for more), not when the disk is
//   done; onWritten() gets every buffer back, written or dropped;
// - settle() waits for every operation started (closing and removing a file left open because the
//   caller stopped early): after it returns, nothing runs on. Call it on every path.
import { constants } from "node:fs";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { MAX_CHUNK_SIZE } from "../format/index.ts";
import { Semaphore } from "../util/semaphore.ts";
import { joinBytes } from "./fs-path.ts";
import { tempName } from "./temp-name.ts";

export interface FileToWrite {
  /** The folder it goes in (see the contract). */
  dir: string | Buffer;
  /** Its name in `dir` (bytes: a name need not be UTF-8). */
  name: string | Buffer;
  mode: number;
  /** Set with utimes' seconds (see fsTime in restore-entries.ts). */
  mtimeSec: number;
}

export interface FailedFile {
  file: FileToWrite;
  err: unknown;
}

interface Current {
  file: FileToWrite;
  temp: Buffer;
  handle: FileHandle;
  position: number;
  /** Writes not yet done (their results hold the buffers: not kept once done). */
  writes: Set<Promise<void>>;
  /** The first write that failed. */
  error: { err: unknown } | null;
}

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
const ZEROS = Buffer.alloc(MAX_CHUNK_SIZE);

const isZeros = (data: Buffer) => data.length <= ZEROS.length && data.equals(ZEROS.subarray(0, data.length));

export class FileWriter {
  private readonly bytes: Semaphore;
  private readonly finishing: Semaphore;
  private readonly running = new Set<Promise<void>>();
  private readonly failed: FailedFile[] = [];
  private current: Current | null = null;

  /** `onWritten`: called with each buffer once its write is done or dropped (it may be reused then). */
  constructor(private readonly opts: { maxWriteBytes: number; maxFinishing: number; sparse?: boolean; onWritten?: (data: Buffer) => void }) {
    this.bytes = new Semaphore(opts.maxWriteBytes);
    this.finishing = new Semaphore(opts.maxFinishing);
  }

  async begin(file: FileToWrite): Promise<void> {
    if (this.current) throw new Error("FileWriter.begin: the previous file was not ended");
    // O_EXCL: a name that exists (a leftover, a planted file or link) is never opened; try another.
    for (let attempt = 0; ; attempt++) {
      const temp = joinBytes(file.dir, tempName());
      try {
        this.current = { file, temp, handle: await open(temp, CREATE, 0o600), position: 0, writes: new Set(), error: null };
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 3) throw err;
      }
    }
  }

  /** Appends `data` to the current file. The buffer must not change until given back (onWritten). */
  async write(data: Buffer): Promise<void> {
    const cur = this.opened();
    const n = data.length;
    const at = cur.position;
    cur.position += n;
    if (cur.error || (this.opts.sparse && isZeros(data))) {
      this.opts.onWritten?.(data);
      return;
    }
    await this.bytes.acquire(n);
    const done: Promise<void> = cur.handle.write(data, 0, n, at).then(
      () => undefined,
      (err: unknown) => {
        cur.error ??= { err };
      },
    ).finally(() => {
      this.opts.onWritten?.(data);
      this.bytes.release(n);
      cur.writes.delete(done);
    });
    cur.writes.add(done);
  }

  /** Hands the current file to the background: its writes finish, then sync, mode, times, close, rename. */
  async end(): Promise<void> {
    const cur = this.opened();
    this.current = null;
    await this.finishing.acquire();
    this.track(cur.file, this.finish(cur, true).finally(() => this.finishing.release()));
  }

  /** Waits for everything started; returns the files that failed after begin(). */
  async settle(): Promise<FailedFile[]> {
    if (this.current) {
      // Left open because the caller stopped early: close and remove it once its writes settled.
      const cur = this.current;
      this.current = null;
      const abandoned: Promise<void> = this.finish(cur, false).catch(() => undefined).finally(() => this.running.delete(abandoned));
      this.running.add(abandoned);
    }
    while (this.running.size) await Promise.allSettled([...this.running]);
    return [...this.failed];
  }

  private async finish(cur: Current, complete: boolean): Promise<void> {
    while (cur.writes.size) await Promise.all([...cur.writes]);
    let placed = false;
    try {
      try {
        if (cur.error) throw cur.error.err;
        if (complete) {
          // The size, whatever was seeked over at the end (sparse), then data before metadata.
          await cur.handle.truncate(cur.position);
          await cur.handle.sync();
          await cur.handle.chmod(cur.file.mode);
          await cur.handle.utimes(cur.file.mtimeSec, cur.file.mtimeSec);
        }
      } finally {
        await cur.handle.close();
      }
      if (!complete) return;
      await rename(cur.temp, joinBytes(cur.file.dir, cur.file.name));
      placed = true;
    } finally {
      if (!placed) await unlink(cur.temp).catch(() => undefined);
    }
  }

  private track(file: FileToWrite, p: Promise<void>): void {
    const tracked: Promise<void> = p.catch((err: unknown) => {
      this.failed.push({ file, err });
    }).finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  private opened(): Current {
    if (!this.current) throw new Error("FileWriter: no file begun");
    return this.current;
  }
}
