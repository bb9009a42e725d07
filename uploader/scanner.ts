// Walks the backup arguments into a flat, sorted list of entries. Each argument becomes a
// top-level entry named by its base name (`/a/b/src` -> `src/...`, `C:\Photos` -> `Photos/...`).
// Symbolic links are recorded as links (never followed); empty folders are kept. A folder that
// cannot be listed is reported as skipped; the rest of the tree is still backed up.
import type { Stats } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import path from "node:path";
import { usage } from "./errors.ts";

export interface ScannedEntry {
  /** Absolute path on this PC. */
  abs: string;
  /** '/'-separated path inside the restore point. */
  path: string;
  type: "file" | "dir" | "symlink";
  stat: Stats;
}

export interface Skipped {
  path: string;
  error: string;
}

export interface ScanResult {
  entries: ScannedEntry[];
  skipped: Skipped[];
  /** Absolute paths of the arguments. */
  roots: string[];
}

export function topLevelName(arg: string): string {
  const p = process.platform === "win32" ? path.win32 : path.posix;
  return p.basename(p.resolve(arg));
}

export function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ? `${e.code}: ${e.message.split(",")[0]}` : String(e?.message ?? err);
}

export async function scan(args: string[]): Promise<ScanResult> {
  if (args.length === 0) throw usage("give at least one file or folder to back up");
  const names = new Map<string, string>();
  for (const arg of args) {
    const name = topLevelName(arg);
    if (!name) throw usage(`cannot back up "${arg}": it has no base name (a drive or filesystem root)`);
    const other = names.get(name);
    if (other !== undefined) throw usage(`"${other}" and "${arg}" would both be stored as "${name}"`);
    names.set(name, arg);
  }
  const result: ScanResult = { entries: [], skipped: [], roots: [] };
  for (const [name, arg] of [...names].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const abs = path.resolve(arg);
    const stat = await lstat(abs).catch(() => {
      throw usage(`cannot read "${arg}": no such file or folder`);
    });
    result.roots.push(abs);
    await walk(abs, name, stat, result);
  }
  return result;
}

async function walk(abs: string, rel: string, stat: Stats, out: ScanResult): Promise<void> {
  if (stat.isSymbolicLink()) {
    out.entries.push({ abs, path: rel, type: "symlink", stat });
  } else if (stat.isFile()) {
    out.entries.push({ abs, path: rel, type: "file", stat });
  } else if (stat.isDirectory()) {
    let names: string[];
    try {
      names = (await readdir(abs)).sort();
    } catch (err) {
      out.skipped.push({ path: rel, error: describeError(err) });
      return;
    }
    out.entries.push({ abs, path: rel, type: "dir", stat });
    for (const name of names) {
      const child = path.join(abs, name);
      const st = await lstat(child).catch((err: unknown) => {
        out.skipped.push({ path: `${rel}/${name}`, error: describeError(err) });
        return null;
      });
      if (st) await walk(child, `${rel}/${name}`, st, out);
    }
  }
  // Sockets, FIFOs and devices are not backed up: they hold no data.
}
