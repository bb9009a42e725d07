// Sample studio trees and a precise comparison of two trees (bytes, modes, mtimes, links, folders).
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, readFile, readlink, symlink, utimes, writeFile, chmod } from "node:fs/promises";
import net from "node:net";
import path from "node:path";

/**
 * A FIFO (`dir/fifo`) and a listening Unix socket (`dir/socket`): files a backup meets and must
 * skip. Returns what closes the socket.
 */
export async function makeSpecialFiles(dir: string): Promise<() => Promise<void>> {
  execFileSync("mkfifo", [path.join(dir, "fifo")]);
  const socket = net.createServer();
  await new Promise<void>((resolve) => socket.listen(path.join(dir, "socket"), resolve));
  return () => new Promise((resolve) => socket.close(() => resolve()));
}

export async function makeStudioTree(root: string, opts: { dbBytes?: number; photos?: number } = {}): Promise<void> {
  await mkdir(path.join(root, "Photos", "2024", "empty-shoot"), { recursive: true });
  await mkdir(path.join(root, "Database"), { recursive: true });
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < (opts.dbBytes ?? 3_000_000); i++) {
    const line = `INSERT INTO clients VALUES (${i}, 'client-${i}', 'client${i}@example.test', '2024-${(i % 12) + 1}-01');\n`;
    lines.push(line);
    size += line.length;
  }
  await writeFile(path.join(root, "Database", "studio.bak"), lines.join(""));
  for (let i = 0; i < (opts.photos ?? 4); i++) {
    await writeFile(path.join(root, "Photos", "2024", `IMG_${1000 + i}.jpg`), randomBytes(700_000 + i * 50_000));
  }
  await writeFile(path.join(root, "Photos", "notes with spaces é.txt"), "ünïcødé name\n");
  await chmod(path.join(root, "Photos", "notes with spaces é.txt"), 0o640);
  await writeFile(path.join(root, "Database", "run.sh"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
  await symlink("../Database/studio.bak", path.join(root, "Photos", "latest-db"));
  await utimes(
    path.join(root, "Photos", "2024", "IMG_1000.jpg"),
    new Date("2020-01-02T03:04:05.678Z"),
    new Date("2020-01-02T03:04:05.678Z"),
  );
}

export interface TreeEntry {
  type: "file" | "dir" | "symlink";
  mode: number;
  mtimeMs: number;
  sha256?: string;
  target?: string;
}

export async function describeTree(root: string): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  const walk = async (abs: string, rel: string) => {
    const st = await lstat(abs);
    // Milliseconds are the format's precision (FORMAT.md): compare at that precision.
    const base = { mode: st.mode & 0o7777, mtimeMs: Math.floor(st.mtimeMs) };
    if (st.isSymbolicLink()) out.set(rel, { type: "symlink", ...base, mode: 0, mtimeMs: 0, target: await readlink(abs) });
    else if (st.isFile())
      out.set(rel, {
        type: "file",
        ...base,
        sha256: createHash("sha256")
          .update(await readFile(abs))
          .digest("hex"),
      });
    else if (st.isDirectory()) {
      out.set(rel, { type: "dir", ...base });
      for (const name of await readdir(abs)) await walk(path.join(abs, name), rel ? `${rel}/${name}` : name);
    }
  };
  await walk(root, "");
  return out;
}
