// Walks the backup arguments into a flat list of entries in the manifest's canonical order
// (parent before child, siblings by name bytes: FORMAT.md §6). Each argument becomes a top-level
// entry named by its base name (`/a/b/src` -> `src/...`, `C:\Photos` -> `Photos/...`). Symbolic
// links are recorded as links (never followed); empty folders are kept; hard links are backed up
// as separate files (their chunks dedup). FIFOs, sockets and devices hold no data: they are
// counted, not backed up. A folder that cannot be listed is reported as skipped; the rest of the
// tree is still backed up.
//
// Names are bytes on POSIX: folders are listed as bytes, and a path with a name that is not valid
// UTF-8 is opened by its bytes (a Buffer path) and stored as bytes, never decoded and re-encoded
// (which gives another name, and ENOENT). Only one folder's names are held at a time.
//
// Exclude patterns (backup/excludes.ts) are matched against the path below each argument, in its
// display form (a name that is not UTF-8 matches through U+FFFD). An excluded folder is not
// listed at all (caches are where the walk's time goes); excluded entries are only counted.
import type { Stats } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import path from "node:path";
import { isUtf8 } from "node:buffer";
import { DEFAULT_SPEC, Excluder, type ExcludeSpec } from "./backup/excludes.ts";
import { usage } from "./errors.ts";

export interface ScannedEntry {
  /** Path on this PC: a string, or the raw bytes when a name on it is not valid UTF-8. */
  abs: string | Buffer;
  /** A unique string for `abs` (the file cache's key): abs itself, or `<root><sep>\0<base64 of the rest>`. */
  key: string;
  /** '/'-separated path inside the restore point; a display form (U+FFFD) when `pathBytes` is set. */
  path: string;
  /** The exact bytes of `path`, only when they are not valid UTF-8. */
  pathBytes?: Buffer;
  type: "file" | "dir" | "symlink";
  stat: FileFacts;
}

/**
 * What a backup keeps of an entry's lstat(): a Stats object, once its dates are read, costs
 * ~1 KB per file, and a scan holds every entry.
 */
export interface FileFacts {
  size: number;
  mtimeMs: number;
  mode: number;
  ino: number;
}

const factsOf = (st: Stats): FileFacts => ({ size: st.size, mtimeMs: st.mtimeMs, mode: st.mode, ino: st.ino });

/** Children of a folder lstat()ed at once: the thread pool's threads all busy, order kept. */
const LSTAT_AHEAD = 32;

export interface Skipped {
  path: string;
  error: string;
}

export interface ScanResult {
  entries: ScannedEntry[];
  skipped: Skipped[];
  /** Absolute paths of the arguments. */
  roots: string[];
  /** FIFOs, sockets and device files met (not backed up, not an error). */
  special: number;
  /** Files and folders left out by exclude patterns (an excluded folder counts once). */
  excluded: number;
}

/** Where the walk is: the on-disk path and the path in the restore point, as text or bytes. */
interface Place {
  root: string;
  abs: string | Buffer;
  rel: string;
  relBytes?: Buffer;
  excluder: Excluder;
  /** Length of "<top-level name>/": `rel.slice(cut)` is the path below the argument. */
  cut: number;
}

const SLASH = Buffer.from("/");
const SEP = Buffer.from(path.sep);

function childOf(p: Place, name: Buffer): Place {
  if (typeof p.abs === "string" && !p.relBytes && isUtf8(name)) {
    const text = name.toString("utf8");
    return { ...p, abs: path.join(p.abs, text), rel: `${p.rel}/${text}` };
  }
  const relBytes = Buffer.concat([p.relBytes ?? Buffer.from(p.rel, "utf8"), SLASH, name]);
  return { ...p, abs: Buffer.concat([Buffer.from(p.abs), SEP, name]), rel: relBytes.toString("utf8"), relBytes };
}

function entry(p: Place, type: ScannedEntry["type"], st: Stats): ScannedEntry {
  const stat = factsOf(st);
  if (typeof p.abs === "string") return { abs: p.abs, key: p.abs, path: p.rel, type, stat };
  // NUL never occurs in a real path, so this key cannot be another file's; it stays under the root.
  const rest = p.abs.subarray(Buffer.byteLength(p.root) + SEP.length).toString("base64");
  return { abs: p.abs, key: `${p.root}${path.sep}\0${rest}`, path: p.rel, ...(p.relBytes ? { pathBytes: p.relBytes } : {}), type, stat };
}

export function topLevelName(arg: string): string {
  const p = process.platform === "win32" ? path.win32 : path.posix;
  return p.basename(p.resolve(arg));
}

export function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ? `${e.code}: ${e.message.split(",")[0]}` : String(e?.message ?? err);
}

/** The arguments checked and their roots looked at: what scanEntries() walks. */
export interface ScanPlan {
  roots: Array<{ name: string; abs: string; stat: Stats; excluder: Excluder }>;
}

/** What a walk found besides its entries (filled in as it goes). */
export type ScanFindings = Omit<ScanResult, "entries">;

/**
 * Checks the arguments (each names a file or folder, no two under the same top-level name) before
 * anything is read. `excludes`: one spec for every argument, or one per argument (same order as
 * `args`); the default spec (DEFAULT_EXCLUDES only) when not given.
 */
export async function planScan(args: string[], excludes: ExcludeSpec | readonly ExcludeSpec[] = DEFAULT_SPEC): Promise<ScanPlan> {
  if (args.length === 0) throw usage("give at least one file or folder to back up");
  const specs = Array.isArray(excludes) ? excludes : args.map(() => excludes as ExcludeSpec);
  if (specs.length !== args.length) throw new Error("scan: one exclude spec per argument");
  const excluders = new Map(args.map((arg, i) => [arg, new Excluder(specs[i]!)]));
  const names = new Map<string, string>();
  for (const arg of args) {
    const name = topLevelName(arg);
    if (!name) throw usage(`cannot back up "${arg}": it has no base name (a drive or filesystem root)`);
    const other = names.get(name);
    if (other !== undefined) throw usage(`"${other}" and "${arg}" would both be stored as "${name}"`);
    names.set(name, arg);
  }
  const byBytes = ([a]: [string, string], [b]: [string, string]) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  const roots: ScanPlan["roots"] = [];
  for (const [name, arg] of [...names].sort(byBytes)) {
    const abs = path.resolve(arg);
    const stat = await lstat(abs).catch(() => {
      throw usage(`cannot read "${arg}": no such file or folder`);
    });
    roots.push({ name, abs, stat, excluder: excluders.get(arg)! });
  }
  return { roots };
}

/**
 * The entries of a plan, in canonical order, one at a time: only the folders on the way down and
 * one folder's names per level are held, whatever the tree's size.
 */
export async function* scanEntries(plan: ScanPlan, out: ScanFindings): AsyncGenerator<ScannedEntry> {
  for (const r of plan.roots) {
    out.roots.push(r.abs);
    yield* walk({ root: r.abs, abs: r.abs, rel: r.name, excluder: r.excluder, cut: r.name.length + 1 }, r.stat, out);
  }
}

/** The whole scan at once (small trees, tests): scanEntries() gathered. */
export async function scan(args: string[], excludes: ExcludeSpec | readonly ExcludeSpec[] = DEFAULT_SPEC): Promise<ScanResult> {
  const plan = await planScan(args, excludes);
  const result: ScanResult = { entries: [], skipped: [], roots: [], special: 0, excluded: 0 };
  for await (const e of scanEntries(plan, result)) result.entries.push(e);
  return result;
}

async function* walk(at: Place, stat: Stats, out: ScanFindings): AsyncGenerator<ScannedEntry> {
  if (stat.isSymbolicLink()) {
    yield entry(at, "symlink", stat);
  } else if (stat.isFile()) {
    yield entry(at, "file", stat);
  } else if (stat.isDirectory()) {
    let names: Buffer[];
    try {
      names = (await readdir(at.abs, { encoding: "buffer" })).sort(Buffer.compare);
    } catch (err) {
      out.skipped.push({ path: at.rel, error: describeError(err) });
      return;
    }
    yield entry(at, "dir", stat);
    const children = names.map((name) => childOf(at, name));
    const stats: Array<Promise<Stats | null>> = [];
    const lstatOf = (child: Place) =>
      lstat(child.abs).catch((err: unknown) => {
        out.skipped.push({ path: child.rel, error: describeError(err) });
        return null;
      });
    for (let i = 0; i < children.length; i++) {
      while (stats.length < Math.min(children.length, i + LSTAT_AHEAD)) stats.push(lstatOf(children[stats.length]!));
      const child = children[i]!;
      const st = await stats[i]!;
      stats[i] = Promise.resolve(null); // not kept
      if (!st) continue;
      if (child.excluder.excludes(child.rel.slice(child.cut), st.isDirectory())) out.excluded++;
      else yield* walk(child, st, out);
    }
  } else {
    out.special++;
  }
}
