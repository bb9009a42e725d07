import assert from "node:assert/strict";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { FileCache } from "../../../uploader/backup/file-cache.ts";
import { orderedPrefetch } from "../../../uploader/restore/prefetch.ts";
import { selectEntries } from "../../../uploader/restore/select.ts";
import { Semaphore } from "../../../uploader/util/semaphore.ts";
import type { ManifestEntry } from "../../../uploader/format/index.ts";

describe("Semaphore", () => {
  it("bounds concurrent holders and wakes waiters in order", async () => {
    const s = new Semaphore(3);
    await s.acquire(2);
    assert.equal(s.tryAcquire(2), false);
    assert.equal(s.tryAcquire(1), true);
    const order: string[] = [];
    const a = s.acquire(2).then(() => order.push("a"));
    const b = s.acquire(1).then(() => order.push("b"));
    s.release(2);
    await a;
    assert.deepEqual(order, ["a"], "b waits behind a even though one unit was free");
    s.release(1);
    await b;
    assert.deepEqual(order, ["a", "b"]);
  });
});

describe("orderedPrefetch", () => {
  it("returns results in order with at most `parallel` fetches running", async () => {
    let running = 0;
    let peak = 0;
    const fetch = async (id: string) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, Number(id) % 3));
      running--;
      return Buffer.from(id);
    };
    const ids = Array.from({ length: 20 }, (_, i) => String(i));
    const p = orderedPrefetch(ids, fetch, { parallel: 4 });
    const got: string[] = [];
    for (let i = 0; i < ids.length; i++) got.push((await p.next()).toString());
    assert.deepEqual(got, ids);
    assert.ok(peak <= 4 && peak > 1, `peak ${peak}`);
  });
});

describe("selectEntries", () => {
  const e = (p: string): ManifestEntry => ({ path: p, type: "file", mode: 0o644, mtimeMs: 0, size: 0, chunks: [] });
  const all = ["Photos/2024/a.jpg", "Photos/2024b/x.jpg", "Photos/b.jpg", "DB/x.bak"].map(e);
  it("selects an entry and everything below it, not siblings sharing a prefix", () => {
    assert.deepEqual(
      selectEntries(all, ["Photos/2024"]).map((x) => x.path),
      ["Photos/2024/a.jpg"],
    );
    assert.deepEqual(
      selectEntries(all, ["/DB/", "Photos\\b.jpg"]).map((x) => x.path),
      ["Photos/b.jpg", "DB/x.bak"],
    );
    assert.equal(selectEntries(all, []).length, 4);
  });
  it("reports a path that matches nothing", () => {
    assert.throws(() => selectEntries(all, ["Nope"]), /not in this restore point: Nope/);
  });
});

describe("FileCache", () => {
  it("remembers stored files, survives a killed run through its journal, and forgets changed files", async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), "cache-"));
    const file = path.join(home, "f.txt");
    await writeFile(file, "one");
    const st = await stat(file);

    const killed = await FileCache.open(home, { ignoreExisting: false });
    assert.equal(await killed.lookup(file, st), null);
    await killed.record(file, st, ["aa"], Promise.resolve());
    await killed.journaled();
    await killed.close(); // no commit: the run died after journaling the file

    const resumed = await FileCache.open(home, { ignoreExisting: false });
    assert.deepEqual(await resumed.lookup(file, st), ["aa"]);
    await resumed.record(file, st, ["aa"]);
    await resumed.commit([home]);
    assert.match(await readFile(path.join(home, "cache", "files.jsonl"), "utf8"), /"chunks":\["aa"\]/);

    await writeFile(file, "two!");
    const changed = await FileCache.open(home, { ignoreExisting: false });
    assert.equal(await changed.lookup(file, await stat(file)), null);
    const forced = await FileCache.open(home, { ignoreExisting: true });
    assert.equal(await forced.lookup(file, st), null, "--full-reread ignores the cache");
    await changed.close();
    await forced.close();
  });

  it("journals in scan order once stored, drops what was not stored, and keeps other roots' records sorted", async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), "cache-"));
    const facts = (size: number) => ({ size, mtimeMs: 1000 + size, ino: size });
    // Keys that sort differently as plain strings and as path segments ("a.b" < "a/x" as text).
    const rootA = path.join(home, "a");
    const rootB = path.join(home, "b");
    const inA = [path.join(rootA, "x", "1"), path.join(rootA, "x", "2"), path.join(rootA, "x.b")];
    const inB = [path.join(rootB, "only")];
    const first = await FileCache.open(home, { ignoreExisting: false });
    let lose!: (err: Error) => void;
    const lost = new Promise<void>((_, reject) => (lose = reject));
    for (const [i, abs] of [...inB, ...inA].entries())
      void first.record(abs, facts(i + 1), [`c${i}`], abs === inA[1] ? lost : Promise.resolve());
    lose(new Error("upload failed"));
    await first.commit([rootA, rootB]);
    const lines = (await readFile(path.join(home, "cache", "files.jsonl"), "utf8")).trim().split("\n").slice(1);
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { abs: string }).abs),
      [inA[0], inA[2], inB[0]],
      "sorted by segments, without the file whose chunks were not stored",
    );

    // A run of root A only keeps B's record; its lookups walk forward in scan order.
    const second = await FileCache.open(home, { ignoreExisting: false });
    assert.deepEqual(await second.lookup(inA[0]!, facts(2)), ["c1"]);
    assert.equal(await second.lookup(inA[1]!, facts(3)), null);
    assert.deepEqual(await second.lookup(inA[2]!, facts(4)), ["c3"]);
    assert.equal(await second.lookup(inA[2]!, facts(5)), null, "another size is another file");
    await second.record(inA[0]!, facts(2), ["c1"], Promise.resolve());
    await second.commit([rootA]);
    const kept = (await readFile(path.join(home, "cache", "files.jsonl"), "utf8")).trim().split("\n").slice(1);
    assert.deepEqual(
      kept.map((l) => (JSON.parse(l) as { abs: string }).abs),
      [inA[0], inB[0]],
    );
  });
});
