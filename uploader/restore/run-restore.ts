// `datasafe restore`: writes DIR/<entry>/... from a restore point. Chunks download several at a
// time and are written in order, while earlier writes and files finish in the background
// (file-writer.ts). Each file goes to a temporary name and is renamed once complete and synced, so
// an interrupted restore can be run again: files already restored (same size and mtime) are
// skipped, other existing files are refused unless --overwrite.
import type { Stats } from "node:fs";
import { chmod, lstat, lutimes, mkdir, readlink, rm, symlink, utimes } from "node:fs/promises";
import path from "node:path";
import { ApiClient } from "../api/client.ts";
import { deviceCredentials } from "../api/credentials.ts";
import type { ManifestEntry } from "../format/index.ts";
import { CliError, EXIT } from "../errors.ts";
import type { Progress } from "../progress.ts";
import type { DeviceState } from "../state.ts";
import { defaultPoolSize } from "../backup/crypto-pool.ts";
import { openRestorePoint, type OpenedRestorePoint } from "./open-restore-point.ts";
import { FileWriter } from "./file-writer.ts";
import { orderedPrefetch } from "./prefetch.ts";
import { selectEntries } from "./select.ts";

export interface RestoreOptions {
  state: DeviceState;
  passphrase: string;
  id: string;
  to: string;
  paths: string[];
  overwrite: boolean;
  progress: Progress;
  parallel?: number;
}

export interface RestoreResult {
  restorePointId: string;
  files: number;
  bytes: number;
  /** Chunks read straight from the bucket (presigned GET) and through the API. */
  chunksDirect: number;
  chunksRelayed: number;
  durationMs: number;
}

/**
 * utimes takes seconds as a double: 1577934245.678 becomes ...677999973 s and the file would read
 * back one millisecond early. Half a microsecond of bias makes it read back as the stored ms.
 */
function fsTime(ms: number): number {
  return (ms + 0.0005) / 1000;
}

/** A file with the same size and mtime, or a link with the same target: left by an earlier run. */
async function alreadyRestored(e: ManifestEntry, existing: Stats, dest: string): Promise<boolean> {
  if (e.type === "file") return existing.isFile() && existing.size === e.size && Math.abs(existing.mtimeMs - e.mtimeMs) < 1;
  if (e.type === "symlink") return existing.isSymbolicLink() && (await readlink(dest)) === e.target;
  return false;
}

export async function runRestore(o: RestoreOptions): Promise<RestoreResult> {
  const started = Date.now();
  const api = new ApiClient(o.state.server, deviceCredentials(o.state));
  const rp = await openRestorePoint(api, o.state, o.passphrase, o.id, { workers: defaultPoolSize() });
  try {
    return await restoreFrom(rp, o, started);
  } finally {
    await rp.close();
  }
}

async function restoreFrom(rp: OpenedRestorePoint, o: RestoreOptions, started: number): Promise<RestoreResult> {
  const selected = selectEntries(rp.entries, o.paths);
  const to = path.resolve(o.to);
  const target = (e: ManifestEntry) => {
    const p = path.resolve(to, ...e.path.split("/"));
    if (!p.startsWith(to + path.sep)) throw new CliError("UNSAFE_PATH", `refusing to write outside ${to}: ${e.path}`);
    return p;
  };

  // Decide everything before writing anything: which files are done, which would be clobbered.
  const todo: ManifestEntry[] = [];
  const conflicts: string[] = [];
  for (const e of selected) {
    if (e.type === "dir") continue;
    const existing = await lstat(target(e)).catch(() => null);
    if (!existing) todo.push(e);
    else if (await alreadyRestored(e, existing, target(e))) continue;
    else if (o.overwrite) todo.push(e);
    else conflicts.push(e.path);
  }
  if (conflicts.length) {
    throw new CliError("TARGET_EXISTS", `${conflicts.length} files exist in ${to} (use --overwrite): ${conflicts.slice(0, 5).join(", ")}`, EXIT.error, { conflicts: conflicts.slice(0, 100) });
  }

  const files = todo.filter((e) => e.type === "file");
  o.progress.start(files.reduce((n, e) => n + (e.size ?? 0), 0), "restoring");
  for (const e of selected) if (e.type === "dir") await mkdir(target(e), { recursive: true });

  const order = files.flatMap((f) => f.chunks ?? []);
  rp.planFetches(order);
  // 16 chunks ahead: several ranged GETs of up to 4 MiB in flight (chunk-reader.ts).
  const chunks = orderedPrefetch(order, rp.fetchChunk, o.parallel ?? 16);
  // Up to 8 MiB of writes in flight and 4 files syncing in the background (file-writer.ts).
  const writer = new FileWriter({ maxWriteBytes: 8 * 1024 * 1024, maxFinishing: 4, onWritten: (plain) => rp.recycle(plain) });
  let bytes = 0;
  try {
    for (const f of files) {
      const dest = target(f);
      await mkdir(path.dirname(dest), { recursive: true });
      const partial = path.join(path.dirname(dest), `.${path.basename(dest)}.datasafe-partial`);
      await writer.begin({ dest, partial, mode: f.mode, mtimeSec: fsTime(f.mtimeMs) });
      for (let i = 0; i < (f.chunks?.length ?? 0); i++) {
        const plain = await chunks.next();
        await writer.write(plain);
        o.progress.advance(plain.length);
      }
      await writer.end();
      bytes += f.size ?? 0;
    }
  } catch (err) {
    await writer.settle().catch(() => undefined);
    throw err;
  }
  await writer.settle();
  for (const e of todo) {
    if (e.type !== "symlink") continue;
    const dest = target(e);
    await mkdir(path.dirname(dest), { recursive: true });
    await rm(dest, { force: true });
    await symlink(e.target ?? "", dest);
    await lutimes(dest, fsTime(e.mtimeMs), fsTime(e.mtimeMs)).catch(() => undefined);
  }
  // Folder modes and times last (deepest first), after their contents stopped changing them.
  const dirs = selected.filter((e) => e.type === "dir").sort((a, b) => b.path.length - a.path.length);
  for (const d of dirs) {
    await chmod(target(d), d.mode);
    await utimes(target(d), fsTime(d.mtimeMs), fsTime(d.mtimeMs));
  }
  o.progress.stop();
  return { restorePointId: rp.view.id, files: files.length, bytes, chunksDirect: rp.fetches.direct, chunksRelayed: rp.fetches.relay, durationMs: Date.now() - started };
}
