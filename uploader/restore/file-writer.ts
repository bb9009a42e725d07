// Writes restored files so that the download pipeline does not wait on the disk: a file's chunks
// are written at their offsets, several at a time (up to `maxWriteBytes` in flight), and a complete
// file is synced, closed, given its mode and times and renamed into place in the background (up to
// `maxFinishing` files at once) while the next one is being written.
//
// Contract:
// - files are written one after another: begin(), write()..., end(), then the next begin();
// - a file appears under its final name only after all its bytes were written and synced;
// - write() and end() resolve when the next call may start (room for more), not when the disk is
//   done; they reject with the first failure of any earlier operation;
// - settle() waits for every operation started (closing a file left open by an error) and rejects
//   with the first failure: after it returns, nothing runs on. Call it on every path.
import { chmod, open, rename, utimes, type FileHandle } from "node:fs/promises";
import { Semaphore } from "../util/semaphore.ts";

export interface FileToWrite {
  /** Where the file ends up. */
  dest: string;
  /** Where its bytes go until it is complete (created or truncated, mode 0600). */
  partial: string;
  mode: number;
  /** Set with utimes' seconds (see fsTime in run-restore.ts). */
  mtimeSec: number;
}

interface Current {
  file: FileToWrite;
  handle: FileHandle;
  position: number;
  /** Writes not yet done (their results hold the buffers: not kept once done). */
  writes: Set<Promise<void>>;
  /** The first write that failed. */
  error: { err: unknown } | null;
}

export class FileWriter {
  private readonly bytes: Semaphore;
  private readonly finishing: Semaphore;
  private readonly running = new Set<Promise<void>>();
  private current: Current | null = null;
  private failure: { err: unknown } | null = null;

  /** `onWritten`: called with each buffer once its write is done (it may be reused then). */
  constructor(private readonly opts: { maxWriteBytes: number; maxFinishing: number; onWritten?: (data: Buffer) => void }) {
    this.bytes = new Semaphore(opts.maxWriteBytes);
    this.finishing = new Semaphore(opts.maxFinishing);
  }

  async begin(file: FileToWrite): Promise<void> {
    this.check();
    if (this.current) throw new Error("FileWriter.begin: the previous file was not ended");
    this.current = { file, handle: await open(file.partial, "w", 0o600), position: 0, writes: new Set(), error: null };
  }

  /** Appends `data` to the current file. The buffer must not change until written (onWritten). */
  async write(data: Buffer): Promise<void> {
    const cur = this.opened();
    const n = data.length;
    await this.bytes.acquire(n);
    this.check();
    const at = cur.position;
    cur.position += n;
    const done: Promise<void> = cur.handle.write(data, 0, n, at).then(
      () => this.opts.onWritten?.(data),
      (err: unknown) => {
        cur.error ??= { err };
      },
    ).finally(() => {
      this.bytes.release(n);
      cur.writes.delete(done);
    });
    cur.writes.add(done);
  }

  /** Hands the current file to the background: its writes finish, then sync, close, chmod, utimes, rename. */
  async end(): Promise<void> {
    const cur = this.opened();
    this.current = null;
    await this.finishing.acquire();
    this.track(this.finish(cur, true).finally(() => this.finishing.release()));
  }

  async settle(): Promise<void> {
    if (this.current) {
      // Left open by an error: close it once its writes settled; it stays a partial file.
      const cur = this.current;
      this.current = null;
      this.track(this.finish(cur, false));
    }
    while (this.running.size) await Promise.allSettled([...this.running]);
    if (this.failure) throw this.failure.err;
  }

  private async finish(cur: Current, complete: boolean): Promise<void> {
    while (cur.writes.size) await Promise.all([...cur.writes]);
    try {
      if (cur.error) throw cur.error.err;
      if (complete) await cur.handle.sync();
    } finally {
      await cur.handle.close();
    }
    if (!complete) return;
    const { file } = cur;
    await chmod(file.partial, file.mode);
    await utimes(file.partial, file.mtimeSec, file.mtimeSec);
    await rename(file.partial, file.dest);
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => {
      this.failure ??= { err };
    }).finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  private opened(): Current {
    this.check();
    if (!this.current) throw new Error("FileWriter: no file begun");
    if (this.current.error) throw this.current.error.err;
    return this.current;
  }

  private check(): void {
    if (this.failure) throw this.failure.err;
  }
}
