// Bounded memory in the file count: 200,000 tiny files (1-500 bytes, 200 folders of 1,000) back
// up and restore byte for byte (names, modes, mtimes) with the uploader's and the restorer's peak
// RSS under 300 MB. Nothing per file may stay in memory: the scan, the file cache, the chunk ids,
// the manifest written and the entries restored are streamed or on disk.
// DATASAFE_MANY_FILES sets the count (a multiple of 1,000; 1,000,000 for the figure).
// On demand, not in `npm test`: on the 2-core test machine 50,000 files take about 3 minutes
// (mostly the restore's file system syncs, which wait for the test's other writers), and the
// restorer's peak is not under 300 MB at every size yet (324 MB at 50,000: docs/benchmarks.md).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmod, lstat, mkdir, readdir, readFile, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { enrolledPcs, Pc } from "../support/cli.ts";
import { MB, measured } from "../support/rss.ts";
import { startServer, type TestServer } from "../support/server.ts";

const FILES = Number(process.env.DATASAFE_MANY_FILES ?? 200_000);
const ON_DEMAND = process.env.DATASAFE_MANY_FILES === undefined;
/** Node flags for the CLI runs (e.g. --cpu-prof --cpu-prof-dir=DIR). */
const NODE_ARGS = (process.env.DATASAFE_MANY_FILES_NODE_ARGS ?? "").split(" ").filter(Boolean);
const PER_FOLDER = 1000;
const MODES = [0o644, 0o600, 0o640, 0o755];

/** Folder d, file f: a size of 1-500 bytes, a mode and an mtime of its own (ms precision). */
const fileName = (f: number) => `IMG_${String(f).padStart(4, "0")}.xmp`;
const mtimeOf = (d: number, f: number) => Date.UTC(2021, 0, 1) + d * 86_400_000 + f * 1_001 + 7;

async function writeTree(root: string): Promise<void> {
  const pool = randomBytes(1 << 20);
  for (let d = 0; d < FILES / PER_FOLDER; d++) {
    const dir = path.join(root, `${2000 + Math.floor(d / 20)}`, `session-${String(d).padStart(4, "0")}`);
    await mkdir(dir, { recursive: true });
    const writes: Array<Promise<void>> = [];
    for (let f = 0; f < PER_FOLDER; f++) {
      const size = 1 + ((d * 7919 + f * 104_729) % 500);
      const at = ((d * PER_FOLDER + f) * 37) % (pool.length - 500);
      const file = path.join(dir, fileName(f));
      writes.push(
        (async () => {
          await writeFile(file, pool.subarray(at, at + size), { mode: MODES[f % MODES.length] });
          await chmod(file, MODES[f % MODES.length]!);
          await utimes(file, mtimeOf(d, f) / 1000, mtimeOf(d, f) / 1000);
        })(),
      );
      if (writes.length >= 64) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
  }
}

/** Compares two trees folder by folder: names, types, modes, mtimes (ms) and bytes. Returns the file count. */
async function compareTrees(a: string, b: string): Promise<number> {
  let files = 0;
  const walk = async (x: string, y: string, rel: string): Promise<void> => {
    const [na, nb] = await Promise.all([readdir(x), readdir(y)]);
    assert.deepEqual(nb.sort(), na.sort(), `names in ${rel || "."}`);
    const same = async (name: string) => {
      const [sa, sb] = await Promise.all([lstat(path.join(x, name)), lstat(path.join(y, name))]);
      const r = `${rel}/${name}`;
      assert.equal(sb.mode, sa.mode, `mode of ${r}`);
      if (sa.isDirectory()) return walk(path.join(x, name), path.join(y, name), r);
      assert.equal(Math.floor(sb.mtimeMs), Math.floor(sa.mtimeMs), `mtime of ${r}`);
      assert.ok((await readFile(path.join(y, name))).equals(await readFile(path.join(x, name))), `bytes of ${r}`);
      files++;
    };
    for (let i = 0; i < na.length; i += 64) await Promise.all(na.slice(i, i + 64).map(same));
  };
  await walk(a, b, "");
  return files;
}

describe(
  `memory stays bounded with ${FILES.toLocaleString("en")} tiny files`,
  { skip: ON_DEMAND && "on demand: DATASAFE_MANY_FILES=200000" },
  () => {
    let server: TestServer;
    let pc: Pc;
    let restorer: Pc;
    let src: string;

    before(async () => {
      server = await startServer();
      [pc, restorer] = (await enrolledPcs(server, 2)).pcs as [Pc, Pc];
      src = path.join(server.dir, "library");
      await writeTree(src);
    });
    after(async () => server?.stop());

    it("backs up, re-runs and restores them byte for byte with uploader and restorer under 300 MB RSS", async () => {
      const mb = (n: number) => `${(n / MB).toFixed(0)} MB`;
      const first = await measured(pc, ["backup", src], NODE_ARGS);
      assert.equal(first.json.files, FILES);
      const again = await measured(pc, ["backup", src], NODE_ARGS);
      assert.equal(again.json.filesUnchanged, FILES, "the file cache knows every file on the unchanged re-run");

      const to = path.join(server.dir, "restored");
      const restore = await measured(restorer, ["restore", String(first.json.restorePointId), "--to", to], NODE_ARGS);
      assert.equal(restore.json.files, FILES);
      assert.equal(await compareTrees(src, path.join(to, "library")), FILES);

      console.log(
        `# ${FILES} files: backup ${first.ms} ms, peak ${mb(first.peak)}; unchanged re-run ${again.ms} ms, peak ${mb(again.peak)}; ` +
          `restore ${restore.ms} ms, peak ${mb(restore.peak)}`,
      );
      for (const [what, peak] of [
        ["uploader (first backup)", first.peak],
        ["uploader (unchanged re-run)", again.peak],
        ["restorer", restore.peak],
      ] as const) {
        assert.ok(peak > 0 && peak < 300 * MB, `${what} peak RSS ${mb(peak)}`);
      }
    });
  },
);
