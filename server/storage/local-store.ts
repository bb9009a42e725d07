import { constants } from "node:fs";
import { access, link, mkdir, open, opendir, readFile, stat, unlink } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import path from "node:path";
import type { Readable } from "node:stream";
import { type BlobStore, validateKey, validatePrefix, validateRange } from "./blob-store.ts";
import { IntegrityError, StorageUnavailableError } from "./errors.ts";
import { isAbsent, translateErrno } from "./local-errors.ts";
import { fsClose, fsFsync, fsOpen, fsRead, fsWrite, syncDirs } from "./local-files.ts";
import { SourceFailed, writeStream } from "./local-stream-write.ts";

// Temp files carry "~", which no key may contain, so list() can never report a half-written blob.
const TEMP_MARK = "~tmp~";
const KEY_CHARS = /^[A-Za-z0-9_.-]+$/;

/**
 * Blobs as files under one directory; key "a/b/c" is the file <dir>/a/b/c. For single-node
 * installs and tests. Keys of the server's layout never make one key a directory of another.
 */
export class LocalBlobStore implements BlobStore {
  readonly name = "local";
  readonly #root: string;

  constructor(dir: string) {
    this.#root = path.resolve(dir);
  }

  async init(): Promise<void> {
    await mkdir(this.#root, { recursive: true }).catch((e: unknown) => {
      throw translateErrno(e, this.#root);
    });
  }

  async ping(): Promise<void> {
    await access(this.#root, constants.R_OK | constants.W_OK).catch((e: unknown) => {
      throw new StorageUnavailableError(`local store ${this.#root} is not usable`, { cause: e });
    });
  }

  async put(key: string, data: Buffer): Promise<void> {
    await this.#store(key, data.length, async (fd) => {
      let written = 0;
      while (written < data.length) {
        const n = await fsWrite(fd, data, written, data.length - written, written);
        if (n === 0) break;
        written += n;
      }
      return written;
    });
  }

  async putStream(key: string, source: AsyncIterable<Buffer>, size: number): Promise<void> {
    await this.#store(key, size, (fd) => writeStream(fd, source, size, key));
  }

  /**
   * Writes a blob under a temp name with `fill` (which returns the bytes it wrote, checked against
   * `size`), syncs it and links it to its key.
   */
  async #store(key: string, size: number, fill: (fd: number) => Promise<number>): Promise<void> {
    const file = this.#path(key);
    const dir = path.dirname(file);
    const temp = path.join(dir, `${TEMP_MARK}${randomBytes(8).toString("hex")}`);
    // Each file-system call is a round trip through libuv's thread pool and then waits for its
    // turn on a busy event loop (several ms each under ingest load), so a put costs what its
    // chain of calls costs: plain descriptors (no FileHandle), no mkdir or stat unless needed,
    // and what does not depend on the previous step runs beside it.
    let fd: number | undefined;
    let dirFd: number | undefined;
    try {
      let created: string | undefined;
      const opened = await Promise.allSettled([fsOpen(temp, "wx", 0o640), fsOpen(dir, "r")]);
      if (opened[0].status === "fulfilled") fd = opened[0].value;
      if (opened[1].status === "fulfilled") dirFd = opened[1].value;
      if (fd === undefined) {
        const e = (opened[0] as PromiseRejectedResult).reason as NodeJS.ErrnoException;
        if (e.code !== "ENOENT") throw e;
        created = await mkdir(dir, { recursive: true });
        fd = await fsOpen(temp, "wx", 0o640);
      }
      const written = await fill(fd);
      if (written !== size) throw new IntegrityError(key, `stored ${written} bytes, sent ${size}`);
      await fsFsync(fd); // the bytes must be on disk before the name points at them
      const closing = fsClose(fd);
      fd = undefined;
      // link(), unlike rename(), fails with EEXIST instead of replacing: "a put on an existing
      // key MUST fail with BlobExistsError", atomically, even with concurrent writers.
      await Promise.all([link(temp, file), closing]);
      // The new name (and any directories mkdir just made) are durable only once their parent
      // directories are fsynced.
      if (created === undefined && dirFd !== undefined) await fsFsync(dirFd);
      else await syncDirs(created === undefined ? dir : path.dirname(created), dir);
    } catch (e) {
      if (e instanceof SourceFailed) throw e.error;
      throw translateErrno(e, key);
    } finally {
      // The temp name goes either way (after a link, the blob keeps its own name).
      await Promise.all([
        unlink(temp).catch(() => undefined),
        fd === undefined ? undefined : fsClose(fd).catch(() => undefined),
        dirFd === undefined ? undefined : fsClose(dirFd).catch(() => undefined),
      ]);
    }
  }

  async get(key: string): Promise<Readable> {
    // Open first so that a missing blob rejects here rather than as a stream 'error' later.
    const handle = await open(this.#path(key), "r").catch((e: unknown) => {
      throw translateErrno(e, key);
    });
    return handle.createReadStream(); // closes the handle at end or on destroy
  }

  async read(key: string): Promise<Buffer> {
    return readFile(this.#path(key)).catch((e: unknown) => {
      throw translateErrno(e, key);
    });
  }

  async readRange(key: string, offset: number, length: number): Promise<Buffer> {
    validateRange(offset, length);
    const file = this.#path(key);
    let fd: number | undefined;
    try {
      fd = await fsOpen(file, "r");
      const buf = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const n = await fsRead(fd, buf, got, length - got, offset + got);
        if (n === 0) break; // end of file
        got += n;
      }
      // A short read copies, so that the caller does not keep the whole allocation alive.
      return got === length ? buf : Buffer.from(buf.subarray(0, got));
    } catch (e) {
      throw translateErrno(e, key);
    } finally {
      if (fd !== undefined) await fsClose(fd).catch(() => undefined);
    }
  }

  async stat(key: string): Promise<{ size: number } | null> {
    try {
      const s = await stat(this.#path(key));
      return s.isFile() ? { size: s.size } : null;
    } catch (e) {
      if (isAbsent(e)) return null;
      throw translateErrno(e, key);
    }
  }

  async delete(key: string): Promise<void> {
    await unlink(this.#path(key)).catch((e: unknown) => {
      if (!isAbsent(e)) throw translateErrno(e, key);
    });
  }

  async *list(prefix: string): AsyncIterable<{ key: string; size: number }> {
    validatePrefix(prefix);
    // Walk only the deepest directory the prefix names; the rest of the prefix filters names.
    const base = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
    yield* this.#walk(base, prefix);
  }

  async *#walk(rel: string, prefix: string): AsyncGenerator<{ key: string; size: number }> {
    let dir;
    try {
      dir = await opendir(path.join(this.#root, ...rel.split("/")));
    } catch (e) {
      if (isAbsent(e)) return;
      throw translateErrno(e, rel);
    }
    for await (const entry of dir) {
      if (!KEY_CHARS.test(entry.name)) continue; // temp files and foreign names
      const key = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.#walk(key, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const s = await stat(path.join(this.#root, ...key.split("/"))).catch(() => null);
        if (s) yield { key, size: s.size }; // deleted meanwhile: not listed
      }
    }
  }

  #path(key: string): string {
    validateKey(key);
    return path.join(this.#root, ...key.split("/"));
  }
}
