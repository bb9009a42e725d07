// The bench's generators are only fair if both tools, and two runs, see the same bytes: the
// photo library and the dumps must be a pure function of (size, seed), and their incremental
// step must change what it says it changes and nothing else.
import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { editDumps, generateDumps } from "./dumps.ts";
import { generateLibrary, touchLibrary } from "./photo-library.ts";
import { treeDigests } from "./tree.ts";

const KiB = 1024;

test("the photo library is deterministic, exactly --files files, and its touched step changes 1 % of the small files", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "datasafe-bench-gen-"));
  try {
    const a = await generateLibrary(path.join(dir, "a"), 800, "seed");
    const b = await generateLibrary(path.join(dir, "b"), 800, "seed");
    assert.equal(a.files, 800);
    assert.equal(a.fileList.length, 800);
    const da = await treeDigests(a);
    assert.deepEqual(da, await treeDigests(b));
    assert.ok(
      [...da.keys()].every((k) => /^Photos\/20\d\d\/20\d\d-\d\d-\d\d [A-Za-z]+ [a-z ]+\//.test(k)),
      "year/session folders",
    );
    const sizes = await Promise.all(a.small.map(async (f) => (await stat(f)).size));
    assert.ok(
      sizes.every((s) => s >= KiB && s <= 200 * KiB),
      "small files are 1-200 KiB",
    );
    assert.ok(a.small.filter((f) => f.endsWith(".xmp")).length > 200, "sidecars");

    const what = await touchLibrary(a, "seed");
    const after = await treeDigests(a);
    const changed = [...da].filter(([k, v]) => after.get(k) !== v).length;
    const added = [...after.keys()].filter((k) => !da.has(k)).length;
    const raws = Number(/first 64 KiB of (\d+) raw/.exec(what)?.[1]);
    assert.equal(changed, 8 + raws, what); // 1 % of the ~800 small files, and the raws re-tagged
    assert.ok(added >= 3, what);
    assert.equal(a.files, 800 + added);
    // The same touched step on an identical tree gives identical bytes.
    await touchLibrary(b, "seed");
    assert.deepEqual(await treeDigests(b), after);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the dumps are deterministic and their edits change both files in place and by insertion", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "datasafe-bench-gen-"));
  try {
    const a = await generateDumps(path.join(dir, "a"), 4, "seed");
    const b = await generateDumps(path.join(dir, "b"), 4, "seed");
    const da = await treeDigests(a);
    assert.deepEqual(da, await treeDigests(b));
    assert.ok(Math.abs(a.bytes - 4 * 1024 * KiB) < 64 * KiB, `${a.bytes} bytes for 4 MiB`);
    const binSize = (await stat(a.binFile)).size;
    const sqlSize = (await stat(a.sqlFile)).size;
    await editDumps(a, "seed");
    const after = await treeDigests(a);
    assert.notEqual(after.get("Dumps/studio-db.bak"), da.get("Dumps/studio-db.bak"));
    assert.notEqual(after.get("Dumps/bookings.sql"), da.get("Dumps/bookings.sql"));
    assert.ok((await stat(a.binFile)).size > binSize, "pages appended");
    assert.ok((await stat(a.sqlFile)).size > sqlSize, "rows inserted");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
