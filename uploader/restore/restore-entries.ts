// Writes a restore point's entries into the target folder, and nothing outside it: restore never
// reads, writes, deletes or follows anything outside `--to`.
// - Before anything is written: the whole manifest is checked (entry-checks.ts; a hostile one is
//   refused), the names to write are decided (target-names.ts: the stored bytes, or a reversible,
//   reported mapping where the target cannot hold them), then every selected entry is looked at on disk without following links
//   (target-tree.ts): files already restored (same size and mtime, or a link with the same
//   target, compared as bytes) are skipped; anything else in the way (a file, or a file or link where a folder
//   goes) refuses the restore unless --overwrite, which replaces it without following it.
//   A folder is never replaced: a folder where a file goes fails that file.
// - Folders first, one component at a time; then files in manifest order, their chunks
//   downloaded several at a time while earlier files finish (file-writer.ts); symlinks only after
//   every file, so nothing is ever written below a link restore made; folder modes and times last.
// - One entry that cannot be restored does not stop the others: it is reported (`failed`) and the
//   command exits 5. Losing the server, or a hostile manifest, still fails the whole restore.
// - setuid, setgid and sticky bits are dropped unless `keepSpecialBits`.
import type { Stats } from "node:fs";
import { chmod, mkdir, readdir, readlink, realpath, utimes } from "node:fs/promises";
import path from "node:path";
import { entryTargetBytes, type ManifestEntry } from "../format/index.ts";
import { CliError } from "../errors.ts";
import type { Progress } from "../progress.ts";
import { describeError } from "../scanner.ts";
import { checkEntries } from "./entry-checks.ts";
import { FileWriter, type FileToWrite } from "./file-writer.ts";
import { placeSymlink } from "./link-writer.ts";
import { orderedPrefetch } from "./prefetch.ts";
import { selectEntries } from "./select.ts";
import { filesystemSync } from "./sync-filesystem.ts";
import { probeTarget, type ProbeTarget } from "./target-probe.ts";
import { TargetNames, type MappedName } from "./target-names.ts";
import { TargetTree } from "./target-tree.ts";

/** What restore needs of an opened restore point (open-restore-point.ts). */
export interface RestoreSource {
  entries: ManifestEntry[];
  fetchChunk(hex: string): Promise<Buffer>;
  planFetches(ids: readonly string[]): void;
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
function fsTime(ms: number): number {
  return (ms + 0.0005) / 1000;
}

/** A file with the same size and mtime, or a link with the same target: left by an earlier run. */
async function alreadyRestored(e: ManifestEntry, existing: Stats, abs: Buffer): Promise<boolean> {
  if (e.type === "file") return existing.isFile() && existing.size === e.size && Math.abs(existing.mtimeMs - e.mtimeMs) < 1;
  if (e.type === "symlink") return existing.isSymbolicLink() && (await readlink(abs, { encoding: "buffer" })).equals(entryTargetBytes(e));
  return false;
}

export async function restoreEntries(src: RestoreSource, o: RestoreEntriesOptions): Promise<RestoredEntries> {
  const to = path.resolve(o.to);
  await mkdir(to, { recursive: true }); // the user's own path: links in it are the user's choice
  const root = await realpath(to, { encoding: "buffer" });
  const tree = new TargetTree(root, { overwrite: o.overwrite });
  checkEntries(src.entries);
  const names = new TargetNames(src.entries, await (o.probe ?? probeTarget)(root.toString()));
  const failed: FailedEntry[] = [];
  const fail = (p: string, err: unknown) => failed.push({ path: p, error: describeError(err) });
  const mode = (m: number) => m & (o.keepSpecialBits ? 0o7777 : 0o777);

  const todo: ManifestEntry[] = [];
  const conflicts: string[] = [];
  const selected = selectEntries(src.entries, o.paths);
  // An empty target (a new PC's folder) has nothing in the way: no need to look at each entry.
  const empty = (await readdir(root)).length === 0;
  for (const e of empty ? [] : selected) {
    const segs = names.segments(e);
    const { blocked, leaf } = await tree.inspect(segs);
    if (blocked) {
      if (!o.overwrite) conflicts.push(`${e.path} (${blocked.message})`);
      else todo.push(e);
    } else if (!leaf || (e.type === "dir" && leaf.isDirectory())) {
      todo.push(e);
    } else if (await alreadyRestored(e, leaf, tree.abs(segs))) {
      continue;
    } else if (!o.overwrite) {
      conflicts.push(e.path);
    } else if (e.type !== "dir" && leaf.isDirectory()) {
      failed.push({ path: e.path, error: "EISDIR: a folder is in the way (restore never replaces a folder)" });
    } else {
      todo.push(e);
    }
  }
  if (empty) for (const e of selected) todo.push(e);
  if (conflicts.length) {
    throw new CliError(
      "TARGET_EXISTS",
      `${conflicts.length} entries are in the way in ${to} (use --overwrite): ${conflicts.slice(0, 5).join(", ")}`,
      { conflicts: conflicts.slice(0, 100) },
    );
  }

  const files = todo.filter((e) => e.type === "file");
  o.progress.start(
    files.reduce((n, e) => n + (e.size ?? 0), 0),
    "restoring",
  );
  for (const d of todo) {
    if (d.type !== "dir") continue;
    const segs = names.segments(d);
    await tree.ensureDirs(segs, segs.length).catch((err: unknown) => fail(d.path, err));
  }

  const written = await writeFiles(src, files, tree, names, o, mode);
  for (const f of written.failed) failed.push(f);

  // After every file: from here on a link restore made may stand where a path resolves.
  tree.forget();
  for (const l of todo) {
    if (l.type !== "symlink") continue;
    const segs = names.segments(l);
    try {
      const dir = await tree.ensureDirs(segs, segs.length - 1);
      await placeSymlink(dir, segs.at(-1)!, entryTargetBytes(l), fsTime(l.mtimeMs));
    } catch (err) {
      fail(l.path, err);
    }
  }

  // Folder modes and times last (deepest first), after their contents stopped changing them.
  const dirs = todo.filter((e) => e.type === "dir").sort((a, b) => b.path.length - a.path.length);
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
  return { files: written.files, bytes: written.bytes, failed, mapped: o.paths.length ? mappedIn(names.mapped, selected) : names.mapped };
}

/** The mappings of the names a --path restore selected (or lie on the way to them). */
function mappedIn(all: MappedName[], selected: ManifestEntry[]): MappedName[] {
  if (all.length === 0) return all;
  const prefixes = new Set<string>();
  for (const e of selected) {
    const segs = e.path.split("/");
    for (let i = 1; i <= segs.length; i++) prefixes.add(segs.slice(0, i).join("/"));
  }
  return all.filter((m) => prefixes.has(m.path));
}

async function writeFiles(
  src: RestoreSource,
  files: ManifestEntry[],
  tree: TargetTree,
  names: TargetNames,
  o: RestoreEntriesOptions,
  mode: (m: number) => number,
): Promise<Omit<RestoredEntries, "mapped">> {
  const order = files.flatMap((f) => f.chunks ?? []);
  // A chunk's expected size: its file's size shared by its chunks (exact for one-chunk files).
  const sizes = files.flatMap((f) => (f.chunks ?? []).map(() => Math.ceil((f.size ?? 0) / f.chunks!.length)));
  src.planFetches(order);
  // At least 16 chunks ahead, and up to 16 MiB of small ones: several ranged GETs of up to 4 MiB
  // in flight (chunk-reader.ts).
  const chunks = orderedPrefetch(order, src.fetchChunk, { parallel: o.parallel ?? 16, sizes, maxBytes: 16 * 1024 * 1024 });
  // Up to 8 MiB of writes in flight; files synced in batches in the background (file-writer.ts).
  const writer = new FileWriter({
    maxWriteBytes: 8 * 1024 * 1024,
    sparse: o.sparse ?? true,
    onWritten: (plain) => src.recycle(plain),
    syncFilesystems: filesystemSync(),
  });
  // Each file carries its entry, for the report: nothing is kept per file once it is written.
  type Tagged = FileToWrite & { entry: ManifestEntry };
  let count = 0;
  let bytes = 0;
  const failed: FailedEntry[] = [];
  try {
    for (const f of files) {
      const segs = names.segments(f);
      let begun = false;
      try {
        const dir = await tree.ensureDirs(segs, segs.length - 1);
        const file: Tagged = { dir, name: segs.at(-1)!, mode: mode(f.mode), mtimeSec: fsTime(f.mtimeMs), entry: f };
        await writer.begin(file);
        count++;
        bytes += f.size ?? 0;
        begun = true;
      } catch (err) {
        failed.push({ path: f.path, error: describeError(err) });
      }
      // A file that could not be begun still takes its chunks from the (ordered) download.
      for (let i = 0; i < (f.chunks?.length ?? 0); i++) {
        const plain = await chunks.next();
        if (begun) await writer.write(plain);
        else src.recycle(plain);
        o.progress.advance(plain.length);
      }
      if (begun) await writer.end();
    }
  } finally {
    // On a failure of the whole restore (a chunk that cannot be fetched) this closes and removes
    // the file being written; that error is the one that propagates.
    for (const { file, err } of await writer.settle()) {
      const { entry } = file as Tagged;
      failed.push({ path: entry.path, error: describeError(err) });
      count--;
      bytes -= entry.size ?? 0;
    }
  }
  return { files: count, bytes, failed };
}
