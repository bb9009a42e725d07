import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { brotliCompressSync } from "node:zlib";
import {
  CODEC_BROTLI, CODEC_NONE, CODEC_ZSTD, FormatError, chunkId, compress, decompress, hexToId, idToHex,
} from "../../../uploader/format/index.ts";

const code = (c: string) => (e: unknown) => e instanceof FormatError && e.code === c;

describe("ids", () => {
  it("is HMAC-SHA256 of the plaintext (RFC 4231 case 2)", () => {
    const id = chunkId(Buffer.from("Jefe"), Buffer.from("what do ya want for nothing?"));
    assert.equal(idToHex(id), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  });
  it("hex round trip and validation", () => {
    const id = randomBytes(32);
    assert.deepEqual(hexToId(idToHex(id)), id);
    assert.throws(() => hexToId("AB".repeat(32)), code("BAD_ID"));
    assert.throws(() => hexToId("ab".repeat(31)), code("BAD_ID"));
    assert.throws(() => idToHex(Buffer.alloc(31)), code("BAD_ID"));
  });
});

describe("compress", () => {
  it("round-trips compressible data with brotli", async () => {
    const plain = Buffer.from("studio database row, ".repeat(50_000));
    const c = await compress(plain);
    assert.equal(c.codec, CODEC_BROTLI);
    assert.ok(c.data.length < plain.length / 10);
    assert.deepEqual(await decompress(c.codec, c.data), plain);
  });
  it("round-trips small data", async () => {
    const plain = Buffer.from("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    const c = await compress(plain);
    assert.deepEqual(await decompress(c.codec, c.data), plain);
  });
  it("skips incompressible data", async () => {
    const plain = randomBytes(1024 * 1024);
    const c = await compress(plain);
    assert.equal(c.codec, CODEC_NONE);
    assert.equal(c.data, plain);
    const tiny = randomBytes(100);
    assert.equal((await compress(tiny)).codec, CODEC_NONE);
    assert.equal((await compress(Buffer.alloc(0))).codec, CODEC_NONE);
  });
  it("refuses decompression bombs", async () => {
    const bomb = brotliCompressSync(Buffer.alloc(16 * 1024 * 1024));
    assert.ok(bomb.length < 1024);
    await assert.rejects(decompress(CODEC_BROTLI, bomb), code("TOO_LARGE"));
    await assert.rejects(decompress(CODEC_BROTLI, brotliCompressSync(Buffer.alloc(101)), 100), code("TOO_LARGE"));
    await assert.rejects(decompress(CODEC_NONE, Buffer.alloc(101), 100), code("TOO_LARGE"));
  });
  it("refuses unknown codecs and corrupt streams", async () => {
    await assert.rejects(decompress(CODEC_ZSTD, Buffer.alloc(1)), code("UNSUPPORTED_CODEC"));
    await assert.rejects(decompress(99, Buffer.alloc(1)), code("UNSUPPORTED_CODEC"));
    await assert.rejects(decompress(CODEC_BROTLI, Buffer.from("not brotli at all")), code("CORRUPT"));
  });
});
