#!/usr/bin/env node
// The `datasafe` CLI: the bundle built at install (scripts/build.mjs, dist/cli/datasafe.mjs) when
// it is at least as new as the sources, else the TypeScript sources directly through tsx (a
// checkout being edited never runs stale code; it only starts slower).
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";

// A small young generation: the uploader churns through 1-4 MiB chunk buffers, and the default
// 16 MiB semi-spaces let garbage pile up to ~20 MB more RSS (test/e2e/memory.test.ts keeps < 300 MB).
// The price is paid by many small files, whose objects reach the old generation: 200,000 tiny files
// back up in 45.5 s at 2 MiB, 28.3 s at 8 MiB; but the bench's photo library then peaks at 320 MB
// (308 MB at 4 MiB, 283 MB at 2 MiB).
v8.setFlagsFromString("--max-semi-space-size=2");

// More threads for file system calls (libuv's pool, 4 by default; read once, at its first use):
// restore keeps many small files' opens, writes and syncs in flight at once (file-writer.ts).
// Only for restore: each thread that allocates gets its own malloc arena (RSS), and backup reads
// small files on its worker threads instead (backup/small-file.ts).
if (process.argv.includes("restore")) process.env.UV_THREADPOOL_SIZE ??= "8";

const root = fileURLToPath(new URL("../", import.meta.url));
const bundle = path.join(root, "dist", "cli", "datasafe.mjs");

/** Whether the bundle exists and is at least as new as every source it was built from. */
function bundleIsFresh() {
  const built = statSync(bundle, { throwIfNoEntry: false })?.mtimeMs;
  if (built === undefined) return false;
  try {
    // Plain paths: a URL per file costs a conversion per stat (~0.5 ms each on a busy machine).
    const inputs = JSON.parse(readFileSync(path.join(root, "dist", "cli", "inputs.json"), "utf8"));
    return inputs.every((f) => (statSync(path.join(root, f), { throwIfNoEntry: false })?.mtimeMs ?? Infinity) <= built);
  } catch {
    return false;
  }
}

if (bundleIsFresh()) {
  await import(new URL("../dist/cli/datasafe.mjs", import.meta.url).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../uploader/cli.ts");
}
