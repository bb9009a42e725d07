// checkChunks (server/services/integrity/check-chunk.ts) against a real local-directory store:
// neighbouring chunks of a pack are re-read with one ranged read, each chunk still gets its own
// verdict (ok, checksum, size, missing), and results keep the order of the rows.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, truncate } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  checkChunks,
  MAX_SPAN_BYTES,
  type CheckMode,
  type CheckStore,
  type ChunkRecord,
} from "../../../../../server/services/integrity/check-chunk.ts";
import { forEachWithin } from "../../../../../server/util/concurrency-limit.ts";
import { createBlobStore, type BlobStore } from "../../../../../server/storage/index.ts";

const KiB = 1024;
let dir: string;
let store: BlobStore;
const calls = { read: 0, readRange: 0, stat: 0 };
/** The store, counting the calls checkChunks makes. */
const counted: CheckStore = {
  stat: (k) => (calls.stat++, store.stat(k)),
  read: (k) => (calls.read++, store.read(k)),
  readRange: (k, o, n) => (calls.readRange++, store.readRange(k, o, n)),
};
const resetCalls = () => Object.assign(calls, { read: 0, readRange: 0, stat: 0 });

/** Stores `sizes` as one pack (with `gaps[i]` unwanted bytes before chunk i) and returns the rows. */
async function pack(key: string, sizes: number[], gaps: number[] = []): Promise<{ rows: ChunkRecord[]; data: Buffer }> {
  const parts: Buffer[] = [];
  const rows: ChunkRecord[] = [];
  let offset = 0;
  sizes.forEach((size, i) => {
    const gap = randomBytes(gaps[i] ?? 0);
    const bytes = randomBytes(size);
    parts.push(gap, bytes);
    offset += gap.length;
    rows.push({ id: randomBytes(32), size, sha256: createHash("sha256").update(bytes).digest(), objectKey: key, offset });
    offset += size;
  });
  const data = Buffer.concat(parts);
  await store.put(key, data);
  return { rows, data };
}

const problems = (out: Awaited<ReturnType<typeof checkChunks>>) => out.map((c) => c.result.problem);

describe("checkChunks", () => {
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "check-chunks-"));
    store = createBlobStore({ kind: "local", dir });
    await store.init();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("reads a run of neighbours in a pack once, a lone chunk alone, and only stats stat rows", async () => {
    const p = await pack("studios/s/packs/aa/one", [100 * KiB, 300 * KiB, 50 * KiB]);
    const lone = randomBytes(70 * KiB);
    await store.put("studios/s/chunks/lone", lone);
    const loneRow: ChunkRecord = {
      id: randomBytes(32),
      size: lone.length,
      sha256: createHash("sha256").update(lone).digest(),
      objectKey: "studios/s/chunks/lone",
      offset: null,
    };
    const other = await pack("studios/s/packs/aa/two", [10 * KiB]);
    const statRow = other.rows[0]!;
    // Rows out of pack order: results come back in the rows' order all the same.
    const rows = [p.rows[2]!, loneRow, p.rows[0]!, statRow, p.rows[1]!];
    resetCalls();
    const out = await checkChunks(counted, rows, (r): CheckMode => (r === statRow ? "stat" : "read"), 8);
    assert.deepEqual(
      out.map((c) => c.row),
      rows,
    );
    assert.deepEqual(problems(out), [null, null, null, null, null]);
    assert.deepEqual(
      out.map((c) => c.result.mode),
      ["read", "read", "read", "stat", "read"],
    );
    assert.deepEqual(
      out.map((c) => c.result.bytes),
      [50 * KiB, 70 * KiB, 100 * KiB, 0, 300 * KiB],
    );
    assert.deepEqual(calls, { readRange: 1, read: 1, stat: 1 });
  });

  it("judges each chunk of a run on its own bytes: a flipped byte, a truncated pack, a missing pack", async () => {
    const key = "studios/s/packs/bb/flip";
    const p = await pack(key, [64 * KiB, 64 * KiB, 64 * KiB]);
    const flipped = Buffer.from(p.data);
    flipped[64 * KiB + 5]! ^= 0xff;
    await store.delete(key);
    await store.put(key, flipped);
    assert.deepEqual(problems(await checkChunks(counted, p.rows, () => "read", 8)), [null, "checksum", null]);

    // Truncated inside the last chunk: the first two stand, the last is short.
    const t = await pack("studios/s/packs/bb/trunc", [64 * KiB, 64 * KiB, 64 * KiB]);
    await truncate(path.join(dir, "studios/s/packs/bb/trunc"), 150 * KiB);
    const out = await checkChunks(counted, t.rows, () => "read", 8);
    assert.deepEqual(problems(out), [null, null, "size"]);
    assert.equal(out[2]!.result.bytes, 150 * KiB - 128 * KiB);

    const gone = await pack("studios/s/packs/bb/gone", [8 * KiB, 8 * KiB]);
    await store.delete("studios/s/packs/bb/gone");
    assert.deepEqual(problems(await checkChunks(counted, gone.rows, () => "read", 8)), ["missing", "missing"]);
  });

  it("splits runs at the span limit and at wide gaps, and spans narrow gaps", async () => {
    const big = await pack("studios/s/packs/cc/big", [2 * 1024 * KiB, 2 * 1024 * KiB, 2 * 1024 * KiB]);
    assert.ok(4 * 1024 * KiB <= MAX_SPAN_BYTES && 6 * 1024 * KiB > MAX_SPAN_BYTES);
    resetCalls();
    assert.deepEqual(problems(await checkChunks(counted, big.rows, () => "read", 8)), [null, null, null]);
    assert.equal(calls.readRange, 2);

    // A narrow gap (a chunk not asked for) is read through; a wide one starts a new read.
    const gaps = await pack("studios/s/packs/cc/gaps", [16 * KiB, 16 * KiB, 16 * KiB], [0, 32 * KiB, 1024 * KiB]);
    resetCalls();
    assert.deepEqual(problems(await checkChunks(counted, gaps.rows, () => "read", 8)), [null, null, null]);
    assert.equal(calls.readRange, 2);
  });
});

describe("forEachWithin", () => {
  it("keeps calls and their weight within the limits, runs an overweight item alone, and stops at the first failure", async () => {
    const weights = [3, 1, 1, 10, 2, 2, 2, 1];
    let running = 0;
    let bytes = 0;
    const seen: Array<{ running: number; bytes: number }> = [];
    const started: number[] = [];
    await forEachWithin(
      weights.map((w, i) => ({ w, i })),
      { count: 3, bytes: 5 },
      (x) => x.w,
      async (x) => {
        running++;
        bytes += x.w;
        started.push(x.i);
        seen.push({ running, bytes });
        await new Promise((r) => setTimeout(r, 5 + (x.i % 3)));
        running--;
        bytes -= x.w;
      },
    );
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 7]); // in order
    for (const s of seen) assert.ok(s.running <= 3 && (s.bytes <= 5 || s.running === 1), JSON.stringify(s));
    assert.ok(seen.some((s) => s.bytes === 10 && s.running === 1)); // the heavy one, alone

    let calls = 0;
    await assert.rejects(
      forEachWithin(
        [1, 1, 1, 1, 1, 1],
        { count: 1, bytes: 1 },
        () => 1,
        async (x) => {
          calls += x;
          if (calls === 2) throw new Error("boom");
        },
      ),
      /boom/,
    );
    assert.equal(calls, 2);
  });
});
