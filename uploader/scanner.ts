// Walks the backup arguments into a flat, sorted list of entries. Each argument becomes a
// top-level entry named by its base name (`/a/b/src` -> `src/...`, `C:\Photos` -> `Photos/...`).
// Symbolic links are recorded as links (never followed); empty folders are kept.
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

export function topLevelName(arg: string): string {
  const p = process.platform === "win32" ? path.win32 : path.posix;
  return p.basename(p.resolve(arg));
}

export async function scan(args: string[]): Promise<ScannedEntry[]> {
  if (args.length === 0) throw usage("give at least one file or folder to back up");
  const names = new Map<string, string>();
  for (const arg of args) {
    const name = topLevelName(arg);
    if (!name) throw usage(`cannot back up "${arg}": it has no base name (a drive or filesystem root)`);
    const other = names.get(name);
    if (other !== undefined) throw usage(`"${other}" and "${arg}" would both be stored as "${name}"`);
    names.set(name, arg);
  }
  const out: ScannedEntry[] = [];
  for (const [name, arg] of [...names].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const abs = path.resolve(arg);
    const stat = await lstat(abs).catch(() => {
      throw usage(`cannot read "${arg}": no such file or folder`);
    });
    await walk(abs, name, stat, out);
  }
  return out;
}

async function walk(abs: string, rel: string, stat: Stats, out: ScannedEntry[]): Promise<void> {
  if (stat.isSymbolicLink()) {
    out.push({ abs, path: rel, type: "symlink", stat });
  } else if (stat.isFile()) {
    out.push({ abs, path: rel, type: "file", stat });
  } else if (stat.isDirectory()) {
    out.push({ abs, path: rel, type: "dir", stat });
    const names = (await readdir(abs)).sort();
    for (const name of names) {
      const child = path.join(abs, name);
      await walk(child, `${rel}/${name}`, await lstat(child), out);
    }
  }
  // Sockets, FIFOs and devices are not backed up: they hold no data.
}
