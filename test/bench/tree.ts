// What every scenario's generator hands the end-to-end driver (a tree on disk and the list of its
// files), and the checks that keep the figures honest: a restore only counts if it reproduced
// every file of the tree exactly, and nothing else. Hashing runs several files at a time, so that
// checking a 50,000-file restore costs seconds, not the minute a one-by-one loop would.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

export interface Dataset {
  root: string;
  /** Top-level folders handed to the backup tools. */
  paths: string[];
  /** Absolute path of every regular file of the tree. */
  fileList: string[];
  bytes: number;
  files: number;
}

/** Files read at once: enough to keep libuv's pool and the disk busy, few enough to bound memory. */
const PARALLEL = 16;

/** Runs fn over items with at most `n` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** SHA-256 of every file of the tree, keyed by its path relative to the tree root. */
export async function treeDigests(ds: Dataset): Promise<Map<string, string>> {
  const digests = await mapLimit(ds.fileList, PARALLEL, async (f) => sha256(await readFile(f)));
  return new Map(ds.fileList.map((f, i) => [path.relative(ds.root, f), digests[i]!]));
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += await countFiles(path.join(dir, e.name));
    else n++;
  }
  return n;
}

/**
 * Throws unless every file of `expected` is at `restoredRoot/<relative path>` with equal bytes
 * and the restored tree holds no other file.
 */
export async function verifyRestore(expected: Map<string, string>, restoredRoot: string, tool: string): Promise<void> {
  const bad = await mapLimit([...expected], PARALLEL, async ([rel, digest]) => {
    const got = await readFile(path.join(restoredRoot, rel)).then(sha256, () => "missing");
    return got === digest ? null : `${rel} (${got === "missing" ? "missing" : "content"})`;
  });
  const wrong = bad.filter((b) => b !== null);
  if (wrong.length) throw new Error(`${tool} restore differs at ${wrong.length} files, first ${wrong.slice(0, 3).join(", ")}`);
  const found = await countFiles(restoredRoot);
  if (found !== expected.size) throw new Error(`${tool} restored ${found} files where the tree has ${expected.size}`);
}
