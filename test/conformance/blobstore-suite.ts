// The one conformance suite every BlobStore runs (restic's backend/test/suite.go): the contract
// in server/storage/blob-store.ts, checked the same way for each implementation and wrapper.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { buffer } from "node:stream/consumers";
import { after, before, describe, it } from "node:test";
import {
  BlobExistsError,
  BlobNotFoundError,
  IntegrityError,
  InvalidKeyError,
  objectKeyForChunk,
  type BlobStore,
} from "../../server/storage/index.ts";

export interface Subject {
  store: BlobStore;
  /** put on an existing key fails (MUST on local; on S3 where If-None-Match is honoured). */
  refusesOverwrite: boolean;
  /** How many objects the listing test writes; > 1000 crosses an S3 page boundary. */
  manyKeys: number;
  close?: () => Promise<void> | void;
}

export const INVALID_KEYS = [
  "",
  "/abs",
  "a/../b",
  "..",
  "a..b",
  "a//b",
  "./a",
  "a/./b",
  "a/",
  "a b",
  "a\\b",
  "a%2f",
  "é",
  "a\0b",
  "x".repeat(513),
  `a/${"x".repeat(256)}`,
];

/** Runs `tasks` with at most `limit` in flight. */
export async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
    }),
  );
}

async function collect(it: AsyncIterable<{ key: string; size: number }>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const { key, size } of it) {
    assert.ok(!out.has(key), `listed twice: ${key}`);
    out.set(key, size);
  }
  return out;
}

/** `o.streams`: the store writes streams (putStream), and that is checked too. */
export function blobStoreConformance(label: string, factory: () => Promise<Subject>, o: { streams?: boolean } = {}): void {
  describe(`BlobStore conformance: ${label}`, () => {
    let s: Subject;
    let store: BlobStore;
    // Every key of this run lives under `root`, so runs sharing a bucket never collide.
    const root = `conformance/${randomBytes(4).toString("hex")}`;

    before(async () => {
      s = await factory();
      store = s.store;
      await store.init();
      await store.init(); // idempotent
    });
    after(async () => {
      if (!s) return;
      const keys = [...(await collect(store.list(`${root}/`))).keys()];
      await pool(keys, 16, (k) => store.delete(k));
      await s.close?.();
    });

    it("answers ping", async () => {
      await store.ping();
    });

    for (const [name, size] of [
      ["small", 1000],
      ["4 MiB random", 4 * 1024 * 1024],
      ["empty", 0],
    ] as const) {
      it(`round-trips a ${name} blob (put, read, get, stat)`, async () => {
        const key = `${root}/rt/${size}.bin`;
        const data = randomBytes(size);
        await store.put(key, data);
        assert.ok((await store.read(key)).equals(data), "read returns the bytes put");
        assert.ok((await buffer(await store.get(key))).equals(data), "get streams the bytes put");
        assert.deepEqual(await store.stat(key), { size });
      });
    }

    it("accepts the server's chunk key layout", async () => {
      const key = `${root}/${objectKeyForChunk("studio_1", randomBytes(32).toString("hex"))}`;
      await store.put(key, Buffer.from("chunk"));
      assert.equal((await store.read(key)).toString(), "chunk");
    });

    it("reports absence: stat → null, read/get → BlobNotFoundError", async () => {
      const key = `${root}/absent/nothing.bin`;
      assert.equal(await store.stat(key), null);
      await assert.rejects(store.read(key), BlobNotFoundError);
      await assert.rejects(store.get(key), BlobNotFoundError);
    });

    it("reads byte ranges of a pack (readRange)", async () => {
      const key = `${root}/range/pack.bin`;
      const size = 5 * 1024 * 1024;
      const data = randomBytes(size);
      await store.put(key, data);
      const MiB = 1024 * 1024;
      const chunk = Math.floor(4.1 * MiB); // the largest chunk a pack holds
      const cases: [string, number, number, Buffer][] = [
        ["a chunk in the middle", 123_457, chunk, data.subarray(123_457, 123_457 + chunk)],
        ["the first byte", 0, 1, data.subarray(0, 1)],
        ["the last byte", size - 1, 1, data.subarray(size - 1)],
        ["past the end: shorter", size - 1000, 5000, data.subarray(size - 1000)],
        ["starting at the end: empty", size, 1, Buffer.alloc(0)],
        ["starting at the end, long: empty", size, 4 * MiB, Buffer.alloc(0)],
        ["starting after the end: empty", size + 1, 10, Buffer.alloc(0)],
        ["far after the end: empty", 2 ** 40, 10, Buffer.alloc(0)],
        ["the whole blob", 0, size, data],
        ["more than the whole blob", 0, size + 1, data],
      ];
      for (const [name, offset, length, expected] of cases) {
        const got = await store.readRange(key, offset, length);
        assert.equal(got.length, expected.length, `${name}: length`);
        assert.ok(got.equals(expected), `${name}: bytes`);
      }

      const empty = `${root}/range/empty.bin`;
      await store.put(empty, Buffer.alloc(0));
      assert.equal((await store.readRange(empty, 0, 10)).length, 0, "an empty blob has no bytes at 0");
    });

    it("readRange: absent → BlobNotFoundError; bad arguments → RangeError, before storage", async () => {
      const key = `${root}/absent/range.bin`;
      await assert.rejects(store.readRange(key, 0, 1), BlobNotFoundError);
      await assert.rejects(store.readRange(key, 1000, 10), BlobNotFoundError);
      const bad: [number, number][] = [
        [-1, 1],
        [0.5, 1],
        [Number.NaN, 1],
        [Infinity, 1],
        [2 ** 53, 1],
        [0, 0],
        [0, -1],
        [0, 1.5],
        [0, Number.NaN],
        [0, Infinity],
        [2 ** 53 - 1, 2],
      ];
      // On an absent key: storage would answer BlobNotFoundError, so a RangeError shows the
      // arguments were checked first.
      for (const [offset, length] of bad) {
        await assert.rejects(store.readRange(key, offset, length), RangeError, `offset ${offset}, length ${length}`);
      }
      const present = `${root}/range/bad-args.bin`;
      await store.put(present, Buffer.from("0123456789"));
      for (const [offset, length] of bad) {
        await assert.rejects(store.readRange(present, offset, length), RangeError, `offset ${offset}, length ${length}`);
      }
    });

    it("deletes idempotently", async () => {
      const key = `${root}/del/once.bin`;
      await store.put(key, Buffer.from("x"));
      await store.delete(key);
      await store.delete(key);
      await store.delete(`${root}/del/never-existed.bin`);
      assert.equal(await store.stat(key), null);
      await assert.rejects(store.read(key), BlobNotFoundError);
    });

    it("lists by prefix, with sizes, across pages", async () => {
      const n = s.manyKeys;
      const keys = Array.from({ length: n }, (_, i) => `${root}/list/a/${String(i).padStart(5, "0")}`);
      await pool(keys, 32, (k) => store.put(k, Buffer.alloc(k.length % 7)));
      await store.put(`${root}/list/ab`, Buffer.from("sibling, not under list/a/"));
      await store.put(`${root}/list/b/1`, Buffer.from("other dir"));

      const underA = await collect(store.list(`${root}/list/a/`));
      assert.equal(underA.size, n);
      for (const k of keys) assert.equal(underA.get(k), k.length % 7, k);

      const partial = await collect(store.list(`${root}/list/a`)); // a name prefix, not a dir
      assert.equal(partial.size, n + 1);
      assert.ok(partial.has(`${root}/list/ab`));
      assert.equal((await collect(store.list(`${root}/list/`))).size, n + 2);
      assert.equal((await collect(store.list(`${root}/nothing-here/`))).size, 0);
    });

    it("rejects invalid keys with InvalidKeyError before touching storage", async () => {
      for (const key of INVALID_KEYS) {
        const k = JSON.stringify(key.slice(0, 20));
        await assert.rejects(store.put(key, Buffer.from("x")), InvalidKeyError, `put ${k}`);
        await assert.rejects(store.read(key), InvalidKeyError, `read ${k}`);
        await assert.rejects(store.readRange(key, 0, 1), InvalidKeyError, `readRange ${k}`);
        await assert.rejects(store.get(key), InvalidKeyError, `get ${k}`);
        await assert.rejects(store.stat(key), InvalidKeyError, `stat ${k}`);
        await assert.rejects(store.delete(key), InvalidKeyError, `delete ${k}`);
      }
      await assert.rejects(collect(store.list("../")), InvalidKeyError);
      const longest = `${root}/${"k".repeat(255)}/${"l".repeat(512 - root.length - 257)}`;
      assert.equal(longest.length, 512);
      await store.put(longest, Buffer.from("512 characters, segments of at most 255, are fine"));
      assert.deepEqual(await store.stat(longest), { size: 49 });
    });

    if (o.streams)
      describe("putStream (stores that write a stream as it arrives)", () => {
        const putStream = (key: string, source: AsyncIterable<Buffer>, size: number) => {
          assert.ok(store.putStream, `${label} has putStream`);
          return store.putStream(key, source, size);
        };

        /** `data` in pieces of the given sizes, cycled: socket reads, odd and larger than a batch. */
        async function* piecesOf(data: Buffer, sizes = [65_536, 1, 1_500_000, 4_000]): AsyncGenerator<Buffer> {
          for (let at = 0, i = 0; at < data.length; i++) {
            const n = sizes[i % sizes.length]!;
            yield data.subarray(at, at + n);
            at += n;
            await new Promise((r) => setImmediate(r)); // arriving over time, not all at once
          }
        }

        it("stores exactly the bytes the source yields, of any piece sizes", async () => {
          for (const size of [5 * 1024 * 1024 + 7, 1, 0]) {
            const key = `${root}/stream/${size}.bin`;
            const data = randomBytes(size);
            await putStream(key, piecesOf(data), size);
            assert.ok((await store.read(key)).equals(data), `${size} bytes`);
            assert.deepEqual(await store.stat(key), { size });
          }
        });

        it("stores nothing when the source fails, passing its error on as it is", async () => {
          const key = `${root}/stream/failed.bin`;
          const failure = new Error("the client went away");
          async function* failing(): AsyncGenerator<Buffer> {
            yield* piecesOf(randomBytes(3 * 1024 * 1024));
            throw failure;
          }
          await assert.rejects(putStream(key, failing(), 4 * 1024 * 1024), (e) => e === failure);
          assert.equal(await store.stat(key), null);
          assert.deepEqual([...(await collect(store.list(`${root}/stream/failed`))).keys()], []);
        });

        it("refuses more or fewer bytes than announced (IntegrityError), storing nothing", async () => {
          const data = randomBytes(2 * 1024 * 1024);
          const longer = `${root}/stream/longer.bin`;
          let pulled = 0;
          async function* counted(): AsyncGenerator<Buffer> {
            for await (const p of piecesOf(data)) {
              pulled += p.length;
              yield p;
            }
          }
          await assert.rejects(putStream(longer, counted(), 100_000), IntegrityError);
          assert.ok(pulled < data.length, "it stops reading as soon as the source runs past the size");
          const shorter = `${root}/stream/shorter.bin`;
          await assert.rejects(putStream(shorter, piecesOf(data), data.length + 1), IntegrityError);
          assert.equal(await store.stat(longer), null);
          assert.equal(await store.stat(shorter), null);
        });

        it("refuses an existing key (BlobExistsError)", async () => {
          assert.ok(s.refusesOverwrite, "a store that writes streams refuses overwrites (the local store)");
          const key = `${root}/stream/once.bin`;
          await store.put(key, Buffer.from("first"));
          await assert.rejects(putStream(key, piecesOf(Buffer.from("second")), 6), BlobExistsError);
          assert.equal((await store.read(key)).toString(), "first", "content unchanged");
        });
      });

    it("refuses to overwrite an existing key", async (t) => {
      if (!s.refusesOverwrite) {
        t.skip("this backend does not honour conditional writes (SHOULD, not MUST)");
        return;
      }
      const key = `${root}/once/blob`;
      await store.put(key, Buffer.from("first"));
      await assert.rejects(store.put(key, Buffer.from("second, different")), BlobExistsError);
      await assert.rejects(store.put(key, Buffer.from("first")), BlobExistsError);
      assert.equal((await store.read(key)).toString(), "first", "content unchanged");
    });
  });
}
