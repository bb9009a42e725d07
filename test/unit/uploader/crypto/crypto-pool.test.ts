// The crypto pool's contract: its worker threads give exactly what the format functions give on
// the main thread: chunk boundaries and ids, and sealed envelopes that open to the plaintext.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { CryptoPool, type PoolKeys } from "../../../../uploader/crypto/crypto-pool.ts";
import { poolKeys, secrets, STUDIO } from "../../../support/pool-keys.ts";
import { Chunker, chunkId, DecryptKeyring, FormatError, HEAD_CHUNKER_PARAMS, openChunk } from "../../../../uploader/format/index.ts";

/** Reference: the format's Chunker and chunkId on this thread. */
function expectedChunks(data: Buffer): Array<{ id: string; plain: Buffer }> {
  const c = new Chunker(secrets.chunkerKey, HEAD_CHUNKER_PARAMS);
  const out = [...c.push(data)];
  const last = c.finish();
  if (last) out.push(last);
  return out.map((plain) => ({ id: chunkId(secrets.chunkIdKey, plain).toString("hex"), plain }));
}

/** Splits data into copies of pieces of varied sizes (push() consumes each one). */
function pieces(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = [1, 4096, 700_000, 1 << 20, 3_000_001][i % 5]!;
    out.push(Buffer.from(data.subarray(at, at + n)));
    at += n;
  }
  return out;
}

for (const [name, size] of [
  ["worker threads", 2],
  ["in-thread fallback", 0],
] as const) {
  describe(`CryptoPool (${name})`, () => {
    const pool = new CryptoPool(poolKeys, size);
    after(() => pool.close());

    it("chunks interleaved streams exactly like the Chunker, with the same ids", async () => {
      const files = [randomBytes(9 * 1024 * 1024), randomBytes(100), Buffer.alloc(0), randomBytes(5 * 1024 * 1024 + 17)];
      const results = await Promise.all(
        files.map(async (data) => {
          const stream = pool.chunkStream();
          const pending = pieces(data).map((p) => stream.push(p)); // several in flight, in order
          const got = (await Promise.all([...pending, stream.finish()])).flat();
          return got.map((c) => ({ id: c.id.toString("hex"), plain: c.plain }));
        }),
      );
      results.forEach((got, i) => assert.deepEqual(got, expectedChunks(files[i]!)));
    });

    it("reads small files whole into exactly the chunks a stream gives, and reports unreadable ones", async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), "pool-files-"));
      try {
        // Around the head chunk's minimum (16 KiB: below it, no cut is ever looked for), and beyond.
        const sizes = [0, 1, 100, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 200_000, 1024 * 1024];
        const files = sizes.map((n, i) => ({ abs: path.join(dir, `f${i}`), data: randomBytes(n) }));
        for (const f of files) await writeFile(f.abs, f.data);
        const paths: Array<string | Buffer> = files.map((f) => f.abs);
        paths.splice(3, 0, path.join(dir, "missing"), Buffer.from(path.join(dir, "f2")));
        const got = await pool.readFiles(paths);
        assert.equal(got.length, paths.length);
        const missing = got.splice(3, 1)[0]!;
        assert.ok("error" in missing && missing.error.code === "ENOENT", JSON.stringify(missing));
        const byBytes = got.splice(3, 1)[0]!;
        assert.ok("chunks" in byBytes && byBytes.size === 100, "a path given as bytes is read too");
        got.forEach((r, i) => {
          assert.ok("chunks" in r, `f${i}`);
          assert.equal(r.size, files[i]!.data.length);
          assert.deepEqual(
            r.chunks.map((c) => ({ id: c.id.toString("hex"), plain: c.plain })),
            expectedChunks(files[i]!.data),
            `f${i}`,
          );
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("seals several chunks in one call like seal() does one", async () => {
      const keyring = new DecryptKeyring(secrets);
      const plains = [Buffer.from("row ".repeat(3000)), randomBytes(70_000), randomBytes(10)];
      const ids = plains.map((p) => chunkId(secrets.chunkIdKey, p));
      const sealed = await pool.sealMany(plains.map((p, i) => ({ id: ids[i]!, plain: Buffer.from(p) })));
      assert.equal(sealed.length, plains.length);
      for (const [i, s] of sealed.entries()) {
        assert.equal(s.sha256, createHash("sha256").update(s.envelope).digest("hex"));
        assert.deepEqual(await openChunk(keyring, secrets.chunkIdKey, STUDIO, ids[i]!, s.envelope), plains[i]);
      }
    });

    it("seals chunks that open to the plaintext (compressible and not)", async () => {
      const keyring = new DecryptKeyring(secrets);
      for (const plain of [Buffer.from("row ".repeat(300_000)), randomBytes(700_000)]) {
        const id = chunkId(secrets.chunkIdKey, plain);
        const { envelope, sha256 } = await pool.seal(id, Buffer.from(plain));
        assert.ok(envelope.length < plain.length + 100);
        assert.equal(sha256, createHash("sha256").update(envelope).digest("hex"));
        assert.deepEqual(await openChunk(keyring, secrets.chunkIdKey, STUDIO, id, envelope), plain);
      }
    });

    it("opens the envelopes of one download like openChunk, and reports damage as a FormatError", async () => {
      // Compressible, incompressible, smaller than Node's pooled-buffer size, and empty.
      const plains = [Buffer.from("row ".repeat(300_000)), randomBytes(700_000), randomBytes(100), Buffer.alloc(0)];
      const sealed = await Promise.all(
        plains.map(async (p) => {
          const id = chunkId(secrets.chunkIdKey, p);
          return { id, envelope: (await pool.seal(id, Buffer.from(p))).envelope };
        }),
      );
      const download = () => Buffer.concat(sealed.map((s) => s.envelope));
      let offset = 0;
      const parts = sealed.map((s) => ({ id: s.id, offset: (offset += s.envelope.length) - s.envelope.length, size: s.envelope.length }));
      assert.deepEqual(await pool.open(download(), parts), plains);
      assert.deepEqual(
        await pool.open(download().subarray(parts[2]!.offset, parts[2]!.offset + parts[2]!.size), [{ ...parts[2]!, offset: 0 }]),
        [plains[2]],
        "a slice of a larger buffer",
      );

      const damaged = download();
      damaged[parts[1]!.offset + 200]! ^= 1;
      await assert.rejects(pool.open(damaged, parts), (err: unknown) => err instanceof FormatError && err.code === "AUTH_FAILED");
      const swapped = parts.map((p, i) => ({ ...p, id: parts[(i + 1) % parts.length]!.id }));
      await assert.rejects(pool.open(download(), swapped), (err: unknown) => err instanceof FormatError && err.code === "AUTH_FAILED");
    });
  });
}

describe("CryptoPool started before its keys are known", () => {
  /** One sealed chunk and the download holding it. */
  async function sealedChunk(): Promise<{ plain: Buffer; part: { id: Buffer; offset: number; size: number }; download: Buffer }> {
    const sealer = new CryptoPool(poolKeys, 0);
    const plain = randomBytes(10_000);
    const id = chunkId(secrets.chunkIdKey, plain);
    const { envelope } = await sealer.seal(id, Buffer.from(plain));
    return { plain, part: { id, offset: 0, size: envelope.length }, download: envelope };
  }

  for (const [name, size] of [
    ["worker threads", 2],
    ["in-thread fallback", 0],
  ] as const) {
    it(`opens once the keys arrive, and fails open() when they never do (${name})`, async () => {
      const c = await sealedChunk();
      let give!: (k: PoolKeys) => void;
      const pool = new CryptoPool(new Promise<PoolKeys>((resolve) => (give = resolve)), size);
      const failed = new CryptoPool(Promise.reject(new Error("wrong passphrase")), size);
      try {
        const opened = pool.open(Buffer.from(c.download), [c.part]); // asked before the keys are there
        give(poolKeys);
        assert.deepEqual(await opened, [c.plain]);
        await assert.rejects(failed.open(Buffer.from(c.download), [c.part]), /wrong passphrase/);
      } finally {
        await Promise.all([pool.close(), failed.close()]);
      }
    });
  }

  it("hands recycled results back to a worker, and leaves other buffers alone", async () => {
    const c = await sealedChunk();
    const pool = new CryptoPool(Promise.resolve(poolKeys), 1);
    try {
      const [plain] = await pool.open(Buffer.from(c.download), [c.part]);
      assert.deepEqual(plain, c.plain);
      const mine = Buffer.from(c.plain);
      pool.recycle(plain!);
      pool.recycle(mine); // not the pool's: ignored
      await pool.open(Buffer.from(c.download), [c.part]); // carries the recycled memory away
      assert.equal(plain!.buffer.byteLength, 0, "the recycled buffer's memory moved to the worker");
      assert.deepEqual(mine, c.plain);
    } finally {
      await pool.close();
    }
  });
});

describe("CryptoPool when a worker dies", () => {
  it("rejects pending and later calls instead of leaving them waiting forever", async () => {
    const pool = new CryptoPool(poolKeys, 2);
    try {
      await pool.id(randomBytes(100)); // workers are up
      // Stands in for a crash (out of memory, a native fault): the thread is gone.
      const workers = (pool as unknown as { workers: Array<{ terminate(): Promise<number> }> }).workers;
      const pending = pool.seal(randomBytes(32), randomBytes(1_000_000));
      await workers[0]!.terminate();
      await assert.rejects(Promise.all([pending, pool.id(randomBytes(100))]), /exited/);
      await assert.rejects(pool.chunkStream().push(randomBytes(100)), /exited/);
    } finally {
      await pool.close();
    }
  });
});
