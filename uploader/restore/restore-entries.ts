// Writes a restore point's entries into the target folder, and nothing outside it: restore never
// reads, writes, deletes or follows anything outside `--to`.
// - Before anything is written, one pass over the manifest: every entry is checked (entry-checks.ts;
//   a hostile one is refused), its names decided (target-names.ts: the stored bytes, or a
//   reversible, reported mapping where the target cannot hold them), and, if selected, looked at
//   on disk without following links (target-tree.ts; lstat only): files already restored (same
//   size and mtime, or a link with the same target, compared as bytes) are skipped; anything else
//   in the way (a file, or a file or link where a folder goes) refuses the restore unless
//   --overwrite, which replaces it without following it. A folder is never replaced: a folder
//   where a file goes fails that file.
// - Folders first, one component at a time; then files in manifest order, their chunks
//   downloaded several at a time while earlier files finish (file-writer.ts); symlinks only after
//   every file, so nothing is ever written below a link restore made; folder modes and times last.
// - One entry that cannot be restored does not stop the others: it is reported (`failed`) and the
//   command exits 5. Losing the server, or a hostile manifest, still fails the whole restore.
// - setuid, setgid and sticky bits are dropped unless `keepSpecialBits`.
//
// Memory: the entries are read again from the spooled manifest by each pass (manifest-spool.ts),
// never held whole; what is kept per entry is one byte (restore it or not), plus the folders'
// entries (their modes and times are set last) and the failures. A target that folds names
// (case, normalization) or has Windows rules also keeps one name per path (target-names.ts).
import type { Stats } from "node:fs";
import { chmod, mkdir, readdir, readlink, realpath, utimes } from "node:fs/promises";
import path from "node:path";
import { entryTargetBytes, type ManifestEntry } from "../format/index.ts";
import { CliError } from "../errors.ts";
import type { Progress } from "../progress.ts";
import { describeError } from "../scanner.ts";
import type { ChunkOrder } from "./chunk-order.ts";
import { EntryChecker } from "./entry-checks.ts";
import { placeSymlink } from "./link-writer.ts";
import { EntrySelector } from "./select.ts";
import { writeFiles } from "./write-files.ts";
import { probeTarget, type ProbeTarget } from "./target-probe.ts";
import { TargetNames, type MappedName } from "./target-names.ts";
import { TargetTree } from "./target-tree.ts";

/** What restore needs of an opened restore point (open-restore-point.ts). */
export interface RestoreSource {
  /** Read again from the start by each pass: the spooled manifest, or an array. */
  entries: Iterable<ManifestEntry> | AsyncIterable<ManifestEntry>;
  fetchChunk(hex: string): Promise<Buffer>;
  planFetches(ids: readonly string[] | ChunkOrder): void;
  recycle(plain: Buffer): void;
}

export interface RestoreEntriesOptions {
  to: string;
  paths: string[];
  overwrite: boolean;
  keepSpecialBits: boolean;
  progress: Progress;
  parallel?: number;
  /** Leave runs of zeros as holes (default true). */
  sparse?: boolean;
  /**
   * How the target compares names and whether Windows name rules apply; default: ask the target
   * and the platform (tests inject a case-insensitive or a Windows one).
   */
  probe?: ProbeTarget;
}

export interface FailedEntry {
  path: string;
  error: string;
}

export interface RestoredEntries {
  files: number;
  bytes: number;
  failed: FailedEntry[];
  /** Names the target cannot hold, restored under another name (target-names.ts). */
  mapped: MappedName[];
}

/**
 * utimes takes seconds as a double: 1577934245.678 becomes ...677999973 s and the file would read
 * back one millisecond early. Half a microsecond of bias makes it read back as the stored ms.
 */
export function fsTime(ms: number): number {
  return (ms + 0.0005) / 1000;
}

/** A file with the same size and mtime, or a link with the same target: left by an earlier run. */
async function alreadyRestored(e: ManifestEntry, existing: Stats, abs: Buffer): Promise<boolean> {
  if (e.type === "file") return existing.isFile() && existing.size === e.size && Math.abs(existing.mtimeMs - e.mtimeMs) < 1;
  if (e.type === "symlink") return existing.isSymbolicLink() && (await readlink(abs, { encoding: "buffer" })).equals(entryTargetBytes(e));
  return false;
}

/** One bit per manifest entry (by its index): whether restore writes it. */
class EntryFlags {
  private bits = new Uint8Array(1024);

  set(i: number): void {
    if (i >> 3 >= this.bits.length) {
      const grown = new Uint8Array(Math.max(this.bits.length * 2, (i >> 3) + 1));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[i >> 3]! |= 1 << (i & 7);
  }

  has(i: number): boolean {
    return ((this.bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
  }
}

/** The entries restore writes, of one type, in manifest order, read again from the source. */
export async function* entriesToWrite(
  src: RestoreSource,
  todo: { has(i: number): boolean },
  type: ManifestEntry["type"],
): AsyncGenerator<ManifestEntry> {
  let i = 0;
  for await (const e of src.entries) if (todo.has(i++) && e.type === type) yield e;
}

export async function restoreEntries(src: RestoreSource, o: RestoreEntriesOptions): Promise<RestoredEntries> {
  const to = path.resolve(o.to);
  await mkdir(to, { recursive: true }); // the user's own path: links in it are the user's choice
  const root = await realpath(to, { encoding: "buffer" });
  const tree = new TargetTree(root, { overwrite: o.overwrite });
  const checks = new EntryChecker();
  const names = new TargetNames([], await (o.probe ?? probeTarget)(root.toString()));
  const selector = new EntrySelector(o.paths);
  const failed: FailedEntry[] = [];
  const fail = (p: string, err: unknown) => failed.push({ path: p, error: describeError(err) });
  const mode = (m: number) => m & (o.keepSpecialBits ? 0o7777 : 0o777);

  const todo = new EntryFlags();
  const dirs: ManifestEntry[] = [];
  const conflicts: string[] = [];
  let conflictCount = 0;
  let total = 0;
  let links = 0;
  // An empty target (a new PC's folder) has nothing in the way: no need to look at each entry.
  const empty = (await readdir(root)).length === 0;
  let i = -1;
  for await (const e of src.entries) {
    i++;
    checks.accept(e); // before its names are decided or anything is looked at
    const segs = names.segments(e); // claimed in manifest order, selected or not
    if (!selector.selects(e)) continue;
    if (!empty) {
      const { blocked, leaf } = await tree.inspect(segs);
      let conflict: string | null = null;
      if (blocked) {
        if (!o.overwrite) conflict = `${e.path} (${blocked.message})`;
      } else if (!leaf || (e.type === "dir" && leaf.isDirectory())) {
        // nothing in the way
      } else if (await alreadyRestored(e, leaf, tree.abs(segs))) {
        continue;
      } else if (!o.overwrite) {
        conflict = e.path;
      } else if (e.type !== "dir" && leaf.isDirectory()) {
        failed.push({ path: e.path, error: "EISDIR: a folder is in the way (restore never replaces a folder)" });
        continue;
      }
      if (conflict !== null) {
        if (conflicts.length < 100) conflicts.push(conflict);
        conflictCount++;
        continue;
      }
    }
    todo.set(i);
    if (e.type === "dir") dirs.push(e);
    else if (e.type === "file") total += e.size ?? 0;
    else links++;
  }
  selector.throwIfUnmatched();
  if (conflictCount) {
    throw new CliError(
      "TARGET_EXISTS",
      `${conflictCount} entries are in the way in ${to} (use --overwrite): ${conflicts.slice(0, 5).join(", ")}`,
      {
        conflicts,
      },
    );
  }

  o.progress.start(total, "restoring");
  for (const d of dirs) {
    const segs = names.segments(d);
    await tree.ensureDirs(segs, segs.length).catch((err: unknown) => fail(d.path, err));
  }

  const written = await writeFiles(src, entriesToWrite(src, todo, "file"), tree, names, o, mode);
  for (const f of written.failed) failed.push(f);

  // After every file: from here on a link restore made may stand where a path resolves.
  tree.forget();
  for await (const l of links ? entriesToWrite(src, todo, "symlink") : []) {
    const segs = names.segments(l);
    try {
      const dir = await tree.ensureDirs(segs, segs.length - 1);
      await placeSymlink(dir, segs.at(-1)!, entryTargetBytes(l), fsTime(l.mtimeMs));
    } catch (err) {
      fail(l.path, err);
    }
  }

  // Folder modes and times last (deepest first), after their contents stopped changing them.
  dirs.sort((a, b) => b.path.length - a.path.length);
  for (const d of dirs) {
    const segs = names.segments(d);
    const { leaf } = await tree.inspect(segs);
    if (!leaf?.isDirectory()) continue; // it failed above, and is reported
    try {
      await chmod(tree.abs(segs), mode(d.mode));
      await utimes(tree.abs(segs), fsTime(d.mtimeMs), fsTime(d.mtimeMs));
    } catch (err) {
      fail(d.path, err);
    }
  }
  o.progress.stop();
  return { files: written.files, bytes: written.bytes, failed, mapped: names.mapped.filter((m) => selector.covers(m.path)) };
}
