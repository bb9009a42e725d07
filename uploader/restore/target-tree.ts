// The restore target's folders, checked one component at a time. Node has no openat(), and
// O_NOFOLLOW covers only the last component of a path: so before restore writes into a folder,
// every component from the target down to it has been seen by lstat() to be a real directory (not a
// symlink, not a file), and folders are created with one mkdir() per component, never
// `recursive: true`, which would follow a planted link. Folders seen once are remembered: restore
// never removes or replaces a folder, so one stays a folder for the rest of the run; forget()
// drops what was seen when a phase wants to look again (cheap: one lstat per folder). Names are
// bytes (Buffer segments): the stored name exactly, or its mapping (target-names.ts).
//
// A restore killed with kill -9 leaves its temporary files (`.ds-` + 12 base32 characters,
// temp-name.ts). Each folder restore writes into is swept once per run, before anything is
// written in it: entries of exactly that name that are files or links (never a folder, never
// followed: unlink() removes the link itself) are removed. Only folders restore writes in, so
// only inside --to.
import type { Stats } from "node:fs";
import { lstat, mkdir, readdir, unlink } from "node:fs/promises";
import { joinBytes } from "./fs-path.ts";
import { isTempName } from "./temp-name.ts";

export class BlockedError extends Error {
  readonly code = "BLOCKED";
  constructor(
    readonly at: string,
    what: string,
  ) {
    super(`${JSON.stringify(Buffer.from(at, "latin1").toString("utf8"))} is ${what}, not a folder`);
    this.name = "BlockedError";
  }
}

/** The first `depth` segments as a map key (latin1: one char per byte). */
const key = (segs: readonly Buffer[], depth: number) =>
  segs
    .slice(0, depth)
    .map((s) => s.toString("latin1"))
    .join("/");

const kindOf = (st: Stats) => (st.isSymbolicLink() ? "a symlink" : st.isFile() ? "a file" : "not a folder");

const lstatOrNull = (p: Buffer): Promise<Stats | null> =>
  lstat(p).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });

export interface Inspection {
  /** The first parent that is not a folder (a planted link, a file), if any. */
  blocked: BlockedError | null;
  /** The entry itself when its parents are all folders (never followed), else null. */
  leaf: Stats | null;
}

export class TargetTree {
  /** Relative paths ("" is the target) seen to be real directories. */
  private readonly verified = new Set<string>([""]);
  /** Folders (as `verified`) whose leftover temporary files were removed in this run. */
  private readonly swept = new Set<string>();
  /** The folder ensureDirs() returned last, by key: a folder's files share its path Buffer. */
  private lastDir: { key: string; abs: Buffer } | null = null;

  /** `root`: the target, a real directory (its own path may hold links the user chose). */
  constructor(
    readonly root: Buffer,
    private readonly opts: { overwrite: boolean },
  ) {}

  abs(segs: readonly Buffer[]): Buffer {
    return joinBytes(this.root, ...segs);
  }

  /** Looks without changing anything: what restore would find at `segs` and on the way there. */
  async inspect(segs: readonly Buffer[]): Promise<Inspection> {
    for (let i = 1; i < segs.length; i++) {
      const rel = key(segs, i);
      if (this.verified.has(rel)) continue;
      const st = await lstatOrNull(this.abs(segs.slice(0, i)));
      if (!st) return { blocked: null, leaf: null };
      if (!st.isDirectory()) return { blocked: new BlockedError(rel, kindOf(st)), leaf: null };
      this.verified.add(rel);
    }
    return { blocked: null, leaf: await lstatOrNull(this.abs(segs)) };
  }

  /**
   * Makes the first `depth` components of `segs` real folders and returns the deepest one's path.
   * A file or link in the way is replaced (unlinked, never followed) with --overwrite, else it
   * throws BlockedError.
   */
  async ensureDirs(segs: readonly Buffer[], depth: number): Promise<Buffer> {
    for (let i = 0; i <= depth; i++) {
      const rel = key(segs, i);
      if (!this.verified.has(rel)) await this.makeDir(rel, this.abs(segs.slice(0, i)));
      if (!this.swept.has(rel)) {
        await this.sweep(this.abs(segs.slice(0, i)));
        this.swept.add(rel);
      }
    }
    const k = key(segs, depth);
    if (k !== this.lastDir?.key) this.lastDir = { key: k, abs: this.abs(segs.slice(0, depth)) };
    return this.lastDir.abs;
  }

  forget(): void {
    this.verified.clear();
    this.verified.add("");
  }

  /** Removes the temporary files a killed restore left in `dir` (a folder just verified). */
  private async sweep(dir: Buffer): Promise<void> {
    for (const d of await readdir(dir, { encoding: "buffer", withFileTypes: true })) {
      if ((d.isFile() || d.isSymbolicLink()) && isTempName(d.name)) {
        await unlink(joinBytes(dir, d.name)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== "ENOENT") throw err;
        });
      }
    }
  }

  private async makeDir(rel: string, abs: Buffer): Promise<void> {
    const st = await lstatOrNull(abs);
    if (st && !st.isDirectory()) {
      if (!this.opts.overwrite) throw new BlockedError(rel, kindOf(st));
      await unlink(abs);
    }
    if (!st || !st.isDirectory()) {
      await mkdir(abs).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== "EEXIST") throw err;
        const now = await lstat(abs);
        if (!now.isDirectory()) throw new BlockedError(rel, kindOf(now));
      });
    }
    this.verified.add(rel);
  }
}
