// The packed id set of a backup's references (id-set.ts) and the file cache's key order
// (cache-order.ts), which must be the scan's order for the cache's merge join.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { IdSet } from "../../../../uploader/backup/id-set.ts";
import { compareCacheKeys } from "../../../../uploader/backup/cache-order.ts";
import { scan } from "../../../../uploader/scanner.ts";

describe("IdSet", () => {
  it("adds each id once through several growths and gives them back sorted", () => {
    const set = new IdSet(16);
    const ids = Array.from({ length: 5000 }, () => randomBytes(32));
    // Ids sharing their first 6 bytes are ordered by the rest.
    const twin = Buffer.from(ids[0]!);
    twin[31]! ^= 0xff;
    ids.push(twin);
    for (const id of ids) assert.equal(set.add(id), true);
    for (const id of ids.slice(0, 100)) assert.equal(set.add(Buffer.from(id)), false, "a repeat is not added");
    assert.equal(set.size, ids.length);
    assert.ok(set.has(ids[4321]!));
    assert.ok(!set.has(randomBytes(32)));
    const sorted = set.sorted();
    const expected = Buffer.concat([...ids].sort(Buffer.compare));
    assert.ok(sorted.equals(expected));
  });
});

describe("compareCacheKeys", () => {
  it("is the order in which the scan meets files", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "order-"));
    // '.' (0x2e) and '-' sort before '/' as text, after it as path segments; and non-ASCII names.
    for (const dir of ["a", "a.b", "a-c", "a/x", "é", "z", "\u{1F600}", "\uFFFD"]) await mkdir(path.join(root, dir), { recursive: true });
    for (const f of ["a/1", "a/x/2", "a.b/3", "a-c/4", "é/5", "z/6", "\u{1F600}/7", "\uFFFD/8", "a0"])
      await writeFile(path.join(root, f), f);
    const walked = (await scan([root])).entries.filter((e) => e.type === "file").map((e) => e.key);
    assert.equal(walked.length, 9);
    assert.deepEqual([...walked].sort(compareCacheKeys), walked);
    assert.notDeepEqual([...walked].sort(), walked, "plain string order is not the scan's");
  });
});
