// The file-system calls of the local store on plain descriptors (a FileHandle costs extra round
// trips through the thread pool: local-store.ts), with the loops that finish short writes and
// make new names durable.
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

export const fsOpen = promisify(fs.open);
export const fsClose = promisify(fs.close);
export const fsFsync = promisify(fs.fsync);
export const fsRead = (fd: number, into: Buffer, offset: number, length: number, position: number) =>
  new Promise<number>((resolve, reject) => fs.read(fd, into, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))));
export const fsWrite = (fd: number, data: Buffer, offset: number, length: number, position: number) =>
  new Promise<number>((resolve, reject) => fs.write(fd, data, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))));

export const fsWritev = (fd: number, pieces: Buffer[], position: number) =>
  new Promise<number>((resolve, reject) => fs.writev(fd, pieces, position, (err, n) => (err ? reject(err) : resolve(n))));

/** Writes all of `pieces` at `position`, going on after a short write. */
export async function writeAll(fd: number, pieces: Buffer[], position: number): Promise<void> {
  let rest = pieces.slice();
  while (rest.length > 0) {
    const n = await fsWritev(fd, rest, position);
    if (n === 0) throw new Error("writev wrote nothing");
    position += n;
    let skip = n;
    while (skip > 0 && skip >= rest[0]!.length) skip -= rest.shift()!.length;
    if (skip > 0) rest = [rest[0]!.subarray(skip), ...rest.slice(1)];
  }
}

export async function syncDirs(from: string, to: string): Promise<void> {
  // fsync `to` and each ancestor up to `from` (the parent of the first directory mkdir created).
  for (let d = to; ; d = path.dirname(d)) {
    const fd = await fsOpen(d, "r");
    try {
      await fsFsync(fd);
    } finally {
      await fsClose(fd);
    }
    if (d === from || d === path.dirname(d)) break;
  }
}
