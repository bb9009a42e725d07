// Writes restored files so that the download pipeline does not wait on the disk: a file is
// opened, written (its chunks at their offsets, several at a time, up to `maxWriteBytes` in
// flight), given its mode and times and handed to a durability batch, all in the background while
// the next files are written; a batch (up to `batchFiles` files or `batchBytes` bytes) is synced
// with all its fsyncs in flight at once, then each of its files is closed and renamed into place.
// Per-file syncs one after another cost ~1 ms each (a 20,000-file restore spent most of its 31 s
// waiting on them); in flight together the filesystem commits them in a few journal writes.
//
// Contract:
// - files are begun one after another: begin(), write()..., end(), then the next begin();
// - `dir` is a real directory inside the restore target, checked by the caller (target-tree.ts);
//   the writer never follows a link: the file is created in `dir` under a short random name
//   (temp-name.ts) with O_CREAT|O_EXCL|O_NOFOLLOW, its mode and times are set through the open
//   handle, and rename() puts it in place, replacing a file or link of that name (never writing
//   through it) and failing on a folder;
// - a file appears under its final name only after all its bytes were written and synced; a file
//   that fails leaves nothing behind (its temporary file is removed). A crash (kill -9, power)
//   leaves `.ds-*` temporary files (swept by the next restore, target-tree.ts) and final names
//   that were all synced before their rename: an earlier run's file that has its final name,
//   size and time holds its bytes;
// - with `sparse`, a chunk of zeros is not written but seeked over, and the file is truncated to
//   its size at the end: runs of zeros stay holes on filesystems that have them;
// - one file failing does not stop the others: every failure of a file (creating it, a write,
//   the sync, the rename) is collected, its further writes are dropped, and settle() returns them;
// - begin(), write() and end() resolve when the next call may start (room for more), not when the
//   disk is done; onWritten() gets every buffer back, written or dropped;
// - settle() syncs and places what is complete, removes what was begun and not ended, and waits
//   for every operation started: after it returns, nothing runs on. Call it on every path.
import { constants } from "node:fs";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { MAX_CHUNK_SIZE } from "../format/index.ts";
import { Semaphore } from "../util/semaphore.ts";
import { joinBytes } from "./fs-path.ts";
import type { SyncFilesystems } from "./sync-filesystem.ts";
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

/** A file being written: its handle once open, its writes in flight, its first failure. */
interface Open {
  file: FileToWrite;
  temp: Buffer | null;
  /** Resolves with the handle, or null when the file could not be created (`error` says why). */
  handle: Promise<FileHandle | null>;
  position: number;
  /** Where the last byte written ends: past it, only seeked-over zeros (sparse). */
  written: number;
  writes: Set<Promise<void>>;
  error: { err: unknown } | null;
}

/** A complete file, waiting for its batch's sync and its rename; open unless synced per filesystem. */
interface Written {
  file: FileToWrite;
  temp: Buffer;
  handle: FileHandle | null;
}

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
const ZEROS = Buffer.alloc(MAX_CHUNK_SIZE);

const isZeros = (data: Buffer) => data.length <= ZEROS.length && data.equals(ZEROS.subarray(0, data.length));

export interface FileWriterOptions {
  /** Bytes of writes in flight. */
  maxWriteBytes: number;
  /** Files open at once: being written, or written and waiting for their batch's sync. */
  maxOpenFiles?: number;
  /** A durability batch is synced once it holds this many files or bytes. */
  batchFiles?: number;
  batchBytes?: number;
  sparse?: boolean;
  /** Called with each buffer once its write is done or dropped (it may be reused then). */
  onWritten?: (data: Buffer) => void;
  /**
   * Syncs whole filesystems (sync-filesystem.ts): files are then closed once written and a batch
   * (`batchFiles` x 8) costs one call; without it, or when it fails, each file is synced.
   */
  syncFilesystems?: SyncFilesystems | null;
}

export class FileWriter {
  private readonly bytes: Semaphore;
  private readonly openFiles: Semaphore;
  private readonly running = new Set<Promise<void>>();
  private readonly failed: FailedFile[] = [];
  private current: Open | null = null;
  private batch: Written[] = [];
  private batchBytes = 0;
  private readonly opts: Required<Omit<FileWriterOptions, "onWritten" | "syncFilesystems">> & Pick<FileWriterOptions, "onWritten">;
  private readonly syncFilesystems: SyncFilesystems | null;

  constructor(opts: FileWriterOptions) {
    const o = { maxOpenFiles: 256, batchFiles: 128, batchBytes: 64 * 1024 * 1024, sparse: false, ...opts };
    this.syncFilesystems = opts.syncFilesystems ?? null;
    // Synced per file, a batch holds its files open: it must leave room to open the next ones.
    // Synced per filesystem, files are closed once written, and a batch can be larger.
    this.opts = this.syncFilesystems
      ? { ...o, batchFiles: 8 * o.batchFiles, batchBytes: 4 * o.batchBytes }
      : { ...o, batchFiles: Math.max(1, Math.min(o.batchFiles, Math.floor(o.maxOpenFiles / 2))) };
    this.bytes = new Semaphore(this.opts.maxWriteBytes);
    this.openFiles = new Semaphore(this.opts.maxOpenFiles);
  }

  async begin(file: FileToWrite): Promise<void> {
    if (this.current) throw new Error("FileWriter.begin: the previous file was not ended");
    await this.openFiles.acquire();
    const cur: Open = { file, temp: null, handle: Promise.resolve(null), position: 0, written: 0, writes: new Set(), error: null };
    cur.handle = this.create(cur);
    this.current = cur;
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
    cur.written = cur.position;
    await this.bytes.acquire(n);
    const done: Promise<void> = cur.handle
      .then((h) => h?.write(data, 0, n, at))
      .then(
        () => undefined,
        (err: unknown) => {
          cur.error ??= { err };
        },
      )
      .finally(() => {
        this.opts.onWritten?.(data);
        this.bytes.release(n);
        cur.writes.delete(done);
      });
    cur.writes.add(done);
  }

  /** Hands the current file to the background: its writes finish, then mode and times, then its batch. */
  async end(): Promise<void> {
    const cur = this.opened();
    this.current = null;
    this.track(cur.file, this.complete(cur));
  }

  /** Syncs and places what is complete, removes what is not; returns the files that failed. */
  async settle(): Promise<FailedFile[]> {
    if (this.current) {
      // Left open because the caller stopped early: close and remove it once its writes settled.
      const cur = this.current;
      this.current = null;
      this.track(
        cur.file,
        this.abandon(cur).catch(() => undefined),
      );
    }
    for (;;) {
      if (this.running.size) await Promise.allSettled([...this.running]);
      else if (!this.batch.length) break;
      this.syncBatch(); // the last, partly filled batch (files completed meanwhile join it)
    }
    return [...this.failed];
  }

  /** Creates the file under a temporary name; null (and `error` set) if it cannot. */
  private async create(cur: Open): Promise<FileHandle | null> {
    // O_EXCL: a name that exists (a leftover, a planted file or link) is never opened; try another.
    for (let attempt = 0; ; attempt++) {
      const temp = joinBytes(cur.file.dir, tempName());
      try {
        const handle = await open(temp, CREATE, 0o600);
        cur.temp = temp;
        return handle;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 3) {
          cur.error ??= { err };
          this.openFiles.release();
          return null;
        }
      }
    }
  }

  private async complete(cur: Open): Promise<void> {
    const handle = await cur.handle;
    while (cur.writes.size) await Promise.all([...cur.writes]);
    if (!handle) throw cur.error!.err; // never created: nothing to remove
    try {
      if (cur.error) throw cur.error.err;
      // The size, when zeros were seeked over at the end (sparse); mode and times before the
      // sync, so that it makes them durable too.
      if (cur.written < cur.position) await handle.truncate(cur.position);
      await handle.chmod(cur.file.mode);
      await handle.utimes(cur.file.mtimeSec, cur.file.mtimeSec);
    } catch (err) {
      await this.discard(handle, cur.temp!);
      throw err;
    }
    let open: FileHandle | null = handle;
    if (this.syncFilesystems) {
      try {
        await handle.close().finally(() => this.openFiles.release());
      } catch (err) {
        await unlink(cur.temp!).catch(() => undefined);
        throw err;
      }
      open = null;
    }
    this.batch.push({ file: cur.file, temp: cur.temp!, handle: open });
    this.batchBytes += cur.position;
    if (this.batch.length >= this.opts.batchFiles || this.batchBytes >= this.opts.batchBytes) this.syncBatch();
  }

  /** Syncs the batch's files (their filesystems at once, or each file, all in flight), then renames each. */
  private syncBatch(): void {
    const batch = this.batch;
    if (!batch.length) return;
    this.batch = [];
    this.batchBytes = 0;
    const synced = this.syncFilesystems ? this.syncFilesystems(batch.map((w) => w.file.dir)) : Promise.resolve(false);
    for (const w of batch) this.track(w.file, this.place(w, synced));
  }

  private async place(w: Written, filesystemSynced: Promise<boolean>): Promise<void> {
    try {
      if (!(await filesystemSynced)) {
        const handle = w.handle ?? (await open(w.temp, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0)));
        try {
          await handle.sync();
        } finally {
          await handle.close();
          if (w.handle) this.openFiles.release();
        }
      } else if (w.handle) {
        await w.handle.close().finally(() => this.openFiles.release());
      }
      await rename(w.temp, joinBytes(w.file.dir, w.file.name));
    } catch (err) {
      await unlink(w.temp).catch(() => undefined);
      throw err;
    }
  }

  private async abandon(cur: Open): Promise<void> {
    const handle = await cur.handle;
    while (cur.writes.size) await Promise.allSettled([...cur.writes]);
    if (handle) await this.discard(handle, cur.temp!);
  }

  /** Closes and removes a temporary file that will not be placed. */
  private async discard(handle: FileHandle, temp: Buffer): Promise<void> {
    await handle.close().catch(() => undefined);
    this.openFiles.release();
    await unlink(temp).catch(() => undefined);
  }

  private track(file: FileToWrite, p: Promise<void>): void {
    const tracked: Promise<void> = p
      .catch((err: unknown) => {
        this.failed.push({ file, err });
      })
      .finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  private opened(): Open {
    if (!this.current) throw new Error("FileWriter: no file begun");
    return this.current;
  }
}
