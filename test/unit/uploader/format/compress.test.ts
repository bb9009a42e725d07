import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { brotliCompressSync } from "node:zlib";
import zstd from "zstd-napi/binding.js";
import {
  CODEC_BROTLI,
  CODEC_NONE,
  CODEC_ZSTD,
  FormatError,
  chunkId,
  compress,
  decompress,
  hexToId,
  idToHex,
} from "../../../../uploader/format/index.ts";

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

function zstdFrame(plain: Buffer): Buffer {
  const out = Buffer.alloc(zstd.compressBound(plain.length));
  return out.subarray(0, new zstd.CCtx().compress(out, plain, 1));
}

describe("compress", () => {
  it("round-trips compressible data with zstd", async () => {
    const plain = Buffer.from("studio database row, ".repeat(50_000));
    const c = await compress(plain);
    assert.equal(c.codec, CODEC_ZSTD);
    assert.ok(c.data.length < plain.length / 10);
    assert.deepEqual(await decompress(c.codec, c.data), plain);
    // compress() reuses one scratch buffer: a result must not change under a later call.
    const copy = Buffer.from(c.data);
    await compress(Buffer.from("another row, ".repeat(9_000)));
    assert.deepEqual(c.data, copy);
  });
  it("still reads brotli payloads written before zstd (codec 1)", async () => {
    const plain = Buffer.from("restore point written by an older uploader; ".repeat(20_000));
    assert.deepEqual(await decompress(CODEC_BROTLI, brotliCompressSync(plain)), plain);
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
    const zbomb = zstdFrame(Buffer.alloc(16 * 1024 * 1024));
    assert.ok(zbomb.length < 2048);
    await assert.rejects(decompress(CODEC_ZSTD, zbomb), code("TOO_LARGE"));
    await assert.rejects(decompress(CODEC_ZSTD, zstdFrame(Buffer.alloc(101)), 100), code("TOO_LARGE"));
  });
  it("refuses unknown codecs and corrupt streams", async () => {
    await assert.rejects(decompress(CODEC_ZSTD, Buffer.from("not zstd at all")), code("CORRUPT"));
    // A frame whose blocks decode to fewer bytes than its header claims.
    const frame = zstdFrame(Buffer.from("zstd row ".repeat(1000)));
    await assert.rejects(decompress(CODEC_ZSTD, frame.subarray(0, frame.length - 4)), code("CORRUPT"));
    await assert.rejects(decompress(99, Buffer.alloc(1)), code("UNSUPPORTED_CODEC"));
    await assert.rejects(decompress(CODEC_BROTLI, Buffer.from("not brotli at all")), code("CORRUPT"));
  });
});
