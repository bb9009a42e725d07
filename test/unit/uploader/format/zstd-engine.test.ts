import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { test } from "node:test";
import { frameContentSize, zstdEngine } from "../../../../uploader/format/zstd-engine.ts";

const napi = createRequire(import.meta.url)("zstd-napi/binding.js") as typeof import("zstd-napi/binding.js");

/** A frame written by the addon's one-shot compression: the header states the content size. */
function napiFrame(src: Buffer): Buffer {
  const out = Buffer.alloc(src.length + 1024);
  return out.subarray(0, new napi.CCtx().compress(out, src, 3));
}

test("frameContentSize reads every header size class as zstd itself does", () => {
  // 1-byte, 2-byte (+256), 4-byte size fields and the boundaries between them.
  for (const size of [0, 1, 255, 256, 257, 65_791, 65_792, 65_793, 1 << 20, 5_000_000]) {
    const frame = napiFrame(Buffer.alloc(size, 7));
    assert.equal(frameContentSize(frame), size, `size ${size}`);
    assert.equal(frameContentSize(frame), napi.getFrameContentSize(frame), `size ${size}`);
  }
});

test("frameContentSize refuses what is not a zstd frame header", () => {
  assert.throws(() => frameContentSize(Buffer.from("not zstd at all")), /not a zstd frame/);
  assert.throws(() => frameContentSize(Buffer.from([0x28, 0xb5, 0x2f])), /not a zstd frame/);
  const frame = napiFrame(Buffer.alloc(100_000, 1));
  const reserved = Buffer.from(frame);
  reserved[4] = reserved[4]! | 0x08;
  assert.throws(() => frameContentSize(reserved), /reserved bit/);
  assert.throws(() => frameContentSize(frame.subarray(0, 6)), /cut short/);
});

test("the engine of this runtime round-trips and decodes the addon's frames", () => {
  const engine = zstdEngine();
  const text = Buffer.from("studio database page ".repeat(20_000));
  const packed = engine.compress(text, 3, text.length - 1);
  assert.ok(packed && packed.length < text.length / 10, `${engine.name} compresses repetitive data`);
  const copy = Buffer.from(packed);
  assert.equal(frameContentSize(copy), text.length);
  assert.deepEqual(engine.decompress(copy, text.length), text);
  assert.deepEqual(engine.decompress(napiFrame(text), text.length), text);
  // Random bytes do not compress: no frame rather than a longer one.
  assert.equal(engine.compress(randomBytes(4096), 3, 4095), null);
  // A frame whose content disagrees with the size asked for is refused, not truncated.
  assert.throws(() => engine.decompress(copy, text.length - 1));
});
