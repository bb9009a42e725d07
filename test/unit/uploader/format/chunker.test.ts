import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import { describe, it } from "node:test";
import {
  Chunker,
  DEFAULT_CHUNKER_PARAMS,
  FormatError,
  chunkerParamsFor,
  looksCompressible,
  type ChunkerParams,
} from "../../../../uploader/format/index.ts";

// Small params so a few MiB hold hundreds of chunks; the algorithm is the same at any scale.
const SMALL: ChunkerParams = { min: 2048, avg: 8192, max: 32768 };
const KEY = Buffer.alloc(32, 1);

/** Deterministic pseudo-random bytes (AES-CTR keystream of a seed). */
function bytes(n: number, seed = 0): Buffer {
  const c = createCipheriv("aes-256-ctr", Buffer.alloc(32, seed), Buffer.alloc(16));
  return c.update(Buffer.alloc(n));
}

function chunkAll(data: Buffer, pieces: number[] | null, key = KEY, params = SMALL): Buffer[] {
  const c = new Chunker(key, params);
  const out: Buffer[] = [];
  if (pieces === null) out.push(...c.push(data));
  else {
    let o = 0;
    for (let i = 0; o < data.length; i++) {
      const n = pieces[i % pieces.length]!;
      out.push(...c.push(data.subarray(o, o + n)));
      o += n;
    }
  }
  const last = c.finish();
  if (last) out.push(last);
  return out;
}

const lengths = (cs: Buffer[]) => cs.map((c) => c.length);

describe("Chunker", () => {
  const data = bytes(3 * 1024 * 1024);

  it("is deterministic whatever the piece sizes", () => {
    const whole = chunkAll(data, null);
    for (const pieces of [[1], [7, 1000, 33333], [4096], [65536, 1], [SMALL.max], [SMALL.max + 1, 3]]) {
      const src = pieces[0] === 1 && pieces.length === 1 ? data.subarray(0, 200_000) : data;
      const ref = src === data ? whole : chunkAll(src, null);
      const got = chunkAll(src, pieces);
      assert.deepEqual(lengths(got), lengths(ref), `pieces ${pieces.join(",")}`);
      assert.ok(Buffer.concat(got).equals(src));
    }
  });

  it("reassembles to the input and respects min/max", () => {
    const cs = chunkAll(data, [100_000]);
    assert.ok(Buffer.concat(cs).equals(data));
    cs.slice(0, -1).forEach((c) => assert.ok(c.length >= SMALL.min && c.length <= SMALL.max, `size ${c.length}`));
    assert.ok(cs.at(-1)!.length <= SMALL.max);
    const avg = data.length / cs.length;
    assert.ok(avg > SMALL.avg * 0.7 && avg < SMALL.avg * 1.6, `average ${avg}`);
  });

  it("cuts at max on data without cut points", () => {
    const cs = chunkAll(Buffer.alloc(100_000), [999]);
    assert.deepEqual(lengths(cs), [32768, 32768, 32768, 100_000 - 3 * 32768]);
  });

  it("different keys give different boundaries", () => {
    const a = lengths(chunkAll(data, null, KEY));
    const b = lengths(chunkAll(data, null, Buffer.alloc(32, 2)));
    assert.notDeepEqual(a, b);
  });

  it("a small edit in the middle changes only a few chunks", () => {
    const edited = Buffer.from(data);
    edited.write("an edit in the middle", 1_500_000);
    const hex = (cs: Buffer[]) => new Set(cs.map((c) => c.toString("base64")));
    const before = hex(chunkAll(data, null));
    const after = chunkAll(edited, [12345]);
    const changed = after.filter((c) => !before.has(c.toString("base64"))).length;
    assert.ok(changed >= 1 && changed <= 3, `changed ${changed} of ${after.length}`);
  });

  it("finish() returns null when empty and resets for reuse", () => {
    const c = new Chunker(KEY, SMALL);
    assert.equal(c.finish(), null);
    assert.deepEqual(c.push(Buffer.alloc(0)), []);
    assert.equal(c.push(Buffer.from("abc")).length, 0);
    assert.deepEqual(c.finish(), Buffer.from("abc"));
    assert.equal(c.finish(), null);
  });

  it("output does not alias caller buffers", () => {
    const c = new Chunker(KEY, SMALL);
    const input = Buffer.from(data.subarray(0, 100_000));
    const out = c.push(input);
    const copy = out.map((b) => Buffer.from(b));
    input.fill(0);
    assert.deepEqual(out, copy);
  });

  it("rejects bad params", () => {
    assert.throws(() => new Chunker(KEY, { min: 10, avg: 1000, max: 5000 }), FormatError);
    assert.throws(() => new Chunker(KEY, { min: 5000, avg: 4096, max: 9000 }), FormatError);
    assert.throws(() => new Chunker(KEY, { ...SMALL, head: { min: 10, avg: 100, max: 50 } }), FormatError);
    assert.throws(() => new Chunker(KEY, { ...SMALL, head: { min: 1024, avg: 4096, max: SMALL.max * 2 } }), FormatError);
  });
});

describe("Chunker with a head chunk (scheme 2)", () => {
  const HEAD: ChunkerParams = { ...SMALL, head: { min: 256, avg: 1024, max: 4096 } };
  const data = bytes(1024 * 1024, 3);
  const chunks = (d: Buffer, pieces: number[] | null = null) => chunkAll(d, pieces, KEY, HEAD);

  it("cuts each stream's first chunk within the head bounds, the rest within the body's", () => {
    const cs = chunks(data, [5000]);
    assert.ok(Buffer.concat(cs).equals(data));
    assert.ok(cs[0]!.length >= 256 && cs[0]!.length <= 4096, `head ${cs[0]!.length}`);
    cs.slice(1, -1).forEach((c) => assert.ok(c.length >= SMALL.min && c.length <= SMALL.max, `size ${c.length}`));
    assert.deepEqual(lengths(cs), lengths(chunks(data)));
    // finish() starts a new stream: its first chunk is a head chunk again.
    const c = new Chunker(KEY, HEAD);
    c.push(data.subarray(0, 100));
    c.finish();
    assert.deepEqual(c.push(data)[0], cs[0]);
  });

  it("a header rewrite, even one that changes its length, changes only the head chunk", () => {
    const before = new Set(chunks(data).map((c) => c.toString("base64")));
    const inPlace = Buffer.from(data);
    inPlace.write("rating=5 keywords=wedding", 40);
    const grown = Buffer.concat([data.subarray(0, 40), Buffer.from("a longer metadata block than before"), data.subarray(40)]);
    for (const edited of [inPlace, grown]) {
      const after = chunks(edited);
      const changed = after.filter((c) => !before.has(c.toString("base64")));
      assert.equal(changed.length, 1);
      assert.equal(changed[0], after[0]);
      assert.ok(after[0]!.length <= 4096);
    }
  });

  it("scheme 1 keeps the boundaries it always had", () => {
    assert.deepEqual(lengths(chunkAll(data, null, KEY, chunkerParamsFor(1))), lengths(chunkAll(data, null, KEY, DEFAULT_CHUNKER_PARAMS)));
    assert.ok(chunkerParamsFor(2).head);
  });
});

describe("Chunker with dense chunks for compressible streams (scheme 3)", () => {
  const DENSE: ChunkerParams = {
    ...SMALL,
    head: { min: 256, avg: 1024, max: 4096 },
    dense: { min: 512, avg: 2048, max: 8192, belowBits: 6 },
  };
  /** Text-like rows: few distinct byte values (collision entropy ~4 bits per byte), no repeats. */
  function rows(n: number, seed: number): Buffer {
    const r = bytes(n, seed);
    for (let i = 0; i < n; i++) r[i] = 97 + (r[i]! % 16);
    return r;
  }
  const text = rows(1024 * 1024, 5);
  const random = bytes(1024 * 1024, 6);
  const avgAfterHead = (cs: Buffer[]) => cs.slice(1).reduce((n, c) => n + c.length, 0) / (cs.length - 1);

  it("decides from the head chunk with exact integer arithmetic", () => {
    assert.equal(looksCompressible(text.subarray(0, 4096), 6), true);
    assert.equal(looksCompressible(random.subarray(0, 4096), 6), false);
    // Exactly 64 equally frequent byte values: collision entropy 6 bits, not below 6.
    const sixBits = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 64));
    assert.equal(looksCompressible(sixBits, 6), false);
    assert.equal(looksCompressible(sixBits, 7), true);
  });

  it("cuts the rest of a compressible stream within the dense bounds, whatever the pieces", () => {
    const cs = chunkAll(text, [5000], KEY, DENSE);
    assert.ok(Buffer.concat(cs).equals(text));
    cs.slice(1, -1).forEach((c) => assert.ok(c.length >= 512 && c.length <= 8192, `size ${c.length}`));
    assert.ok(avgAfterHead(cs) < 4096, `average ${avgAfterHead(cs)}`);
    assert.deepEqual(lengths(chunkAll(text, [1, 777, 65536], KEY, DENSE)), lengths(cs));
  });

  it("cuts an incompressible stream exactly as scheme 2, and decides again for each stream", () => {
    const scheme2 = { ...SMALL, head: DENSE.head! };
    assert.deepEqual(lengths(chunkAll(random, [5000], KEY, DENSE)), lengths(chunkAll(random, [5000], KEY, scheme2)));
    const c = new Chunker(KEY, DENSE);
    c.push(text);
    c.finish(); // a compressible stream, then an incompressible one: back to the main bounds
    const next = [...c.push(random), c.finish()!];
    assert.deepEqual(lengths(next), lengths(chunkAll(random, null, KEY, scheme2)));
  });

  it("is scheme 3, the scheme of new keysets, with real sizes: ~512 KiB chunks after a compressible head", () => {
    const params = chunkerParamsFor(3);
    assert.equal(params.dense?.avg, 512 * 1024);
    assert.equal(params.dense?.belowBits, 6);
    assert.deepEqual(params.head, chunkerParamsFor(2).head);
    assert.throws(() => new Chunker(KEY, { ...SMALL, dense: { min: 512, avg: 2048, max: 8192, belowBits: 9 } }), FormatError);
    assert.throws(() => new Chunker(KEY, { ...SMALL, dense: { min: 512, avg: 2048, max: SMALL.max * 2, belowBits: 6 } }), FormatError);
  });
});
