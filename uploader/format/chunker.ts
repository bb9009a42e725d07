import { createCipheriv, createHmac } from "node:crypto";
import { AVG_CHUNK_SIZE, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from "./constants.ts";
import { FormatError } from "./errors.ts";

/**
 * FastCDC content-defined chunking (Xia et al., USENIX ATC 2016) with normalized chunking
 * level 2 and cut-point skipping. The gear table is derived from a per-studio secret key:
 * with the public table, chunk boundaries (and so ciphertext sizes the server sees) would
 * fingerprint well-known files.
 */

export interface ChunkBounds {
  min: number;
  avg: number;
  max: number;
}

export interface ChunkerParams extends ChunkBounds {
  /**
   * Bounds for the first chunk of each stream (file), cut by the same rule with these smaller
   * sizes; absent: the first chunk is cut like the others.
   */
  head?: ChunkBounds;
  /**
   * Bounds for the chunks after the first when the first chunk looks compressible: the collision
   * entropy of its bytes (-log2 of the sum over byte values of p^2) is below `belowBits` bits per
   * byte. Absent: every chunk after the first is cut with the main bounds.
   */
  dense?: ChunkBounds & { belowBits: number };
}

/** Chunking scheme 1: every chunk ~1 MiB (studios whose keyset names no scheme). */
export const DEFAULT_CHUNKER_PARAMS: Readonly<ChunkerParams> = Object.freeze({
  min: MIN_CHUNK_SIZE,
  avg: AVG_CHUNK_SIZE,
  max: MAX_CHUNK_SIZE,
});

/**
 * Chunking scheme 2 (keysets with `"chunking": 2`): scheme 1 plus a small, content-defined first
 * chunk per file (16-256 KiB, ~64 KiB). Metadata edits rewrite a file's head (a photo manager
 * writing ratings and keywords into the JPEG/TIFF header, a database bumping its header page):
 * with scheme 1 each re-uploads a ~1 MiB chunk, with scheme 2 a ~64 KiB one, and the boundary
 * after the head is found again even when the edit changed the header's length.
 */
export const HEAD_CHUNKER_PARAMS: Readonly<ChunkerParams> = Object.freeze({
  ...DEFAULT_CHUNKER_PARAMS,
  head: Object.freeze({ min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 }),
});

/**
 * Chunking scheme 3 (keysets with `"chunking": 3`): scheme 2, and files whose head chunk looks
 * compressible (database files, documents: collision entropy below 6 bits per byte) cut the rest
 * at ~512 KiB (128 KiB-2 MiB). A scattered edit of such a file re-uploads half as much: on the
 * bench's database, 16 page rewrites stored 2.0-2.8 MiB instead of 3.7-5.9 MiB (six chunker keys).
 * Photos (entropy near 8) keep ~1 MiB chunks, so the chunk count, and the server's metadata, only
 * grows for the compressible part of a studio.
 */
export const DENSE_CHUNKER_PARAMS: Readonly<ChunkerParams> = Object.freeze({
  ...HEAD_CHUNKER_PARAMS,
  dense: Object.freeze({ min: 128 * 1024, avg: 512 * 1024, max: 2 * 1024 * 1024, belowBits: 6 }),
});

/** The parameters of a chunking scheme (the keyset's `chunking`: 1, 2 or 3). */
export function chunkerParamsFor(scheme: 1 | 2 | 3): Readonly<ChunkerParams> {
  return scheme === 3 ? DENSE_CHUNKER_PARAMS : scheme === 2 ? HEAD_CHUNKER_PARAMS : DEFAULT_CHUNKER_PARAMS;
}

/**
 * Whether `head` looks compressible: its collision entropy is below `bits` bits per byte, that is
 * sum(count^2) * 2^bits > length^2, in exact integer arithmetic (counts of a chunk of at most
 * 4 MiB keep every term below 2^53), so every uploader decides alike.
 */
export function looksCompressible(head: Uint8Array, bits: number): boolean {
  const counts = new Float64Array(256);
  for (let i = 0; i < head.length; i++) counts[head[i]!]!++;
  let sum = 0;
  for (let v = 0; v < 256; v++) sum += counts[v]! * counts[v]!;
  return sum * 2 ** bits > head.length * head.length;
}

/** 256 u32 = first 1024 bytes of AES-256-CTR(key = HMAC-SHA256(chunkerKey, "datasafe/v1/gear"), iv = 0). */
export function gearTable(chunkerKey: Uint8Array): Uint32Array {
  if (chunkerKey.length < 16) throw new FormatError("BAD_KEY", "chunker key too short");
  const key = createHmac("sha256", chunkerKey).update("datasafe/v1/gear").digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  const stream = Buffer.concat([cipher.update(Buffer.alloc(1024)), cipher.final()]);
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) table[i] = stream.readUInt32LE(i * 4);
  return table;
}

/**
 * Masks select the TOP bits of the 32-bit gear hash. With `h = (h << 1) + gear[b]` bit k
 * depends on the last k+1 bytes only, so the top bits carry the widest window (up to 32
 * bytes); the paper's "padded" masks spread bits for the same reason over a 64-bit hash.
 * maskS (bits+2 ones) is used before the average size — harder to match — and maskL
 * (bits-2 ones) after it, which pulls chunk sizes towards the average (normalization level 2).
 */
export function chunkerMasks(avg: number): { maskS: number; maskL: number } {
  const bits = Math.log2(avg);
  const top = (ones: number) => (0xffffffff << (32 - ones)) | 0;
  return { maskS: top(bits + 2), maskL: top(bits - 2) };
}

function validateParams(p: ChunkBounds): void {
  const bits = Math.log2(p.avg);
  const ok =
    Number.isInteger(bits) &&
    bits >= 6 &&
    bits <= 28 &&
    Number.isInteger(p.min) &&
    Number.isInteger(p.max) &&
    p.min > 0 &&
    p.min < p.avg &&
    p.avg < p.max &&
    p.max <= 1 << 30;
  if (!ok) throw new FormatError("BAD_ARGUMENT", "chunker params need 0 < min < avg < max, avg a power of two");
}

/**
 * Streaming chunker: feed arbitrary pieces with push(), collect completed chunks, call
 * finish() for the remainder. Boundaries depend only on the byte stream, never on how it
 * was split. Input is scanned in place; bytes of a completed chunk are copied once into its
 * output buffer, only an unfinished tail (< max bytes) is held between calls.
 */
interface Cut extends ChunkBounds {
  maskS: number;
  maskL: number;
}

const cutOf = (b: ChunkBounds): Cut => ({ min: b.min, avg: b.avg, max: b.max, ...chunkerMasks(b.avg) });

export class Chunker {
  private readonly gear: Int32Array;
  /** The bounds after the first chunk: `regular`, or `dense` when the first chunk looks compressible. */
  private body: Cut;
  private readonly regular: Cut;
  private readonly dense: (Cut & { belowBits: number }) | null;
  /** The first chunk's bounds (the body's when the params have no head). */
  private readonly head: Cut;
  /** Whether the current chunk is the stream's first. */
  private first = true;
  /** Bytes of the current (unfinished) chunk held from earlier push() calls. */
  private tail: Buffer = Buffer.alloc(0);
  private tailLen = 0;
  /** Length of the current chunk so far (held tail + bytes scanned in the current piece). */
  private len = 0;
  private hash = 0;

  constructor(chunkerKey: Uint8Array, params: ChunkerParams = DEFAULT_CHUNKER_PARAMS) {
    validateParams(params);
    for (const extra of [params.head, params.dense]) {
      if (!extra) continue;
      validateParams(extra);
      if (extra.max > params.max) throw new FormatError("BAD_ARGUMENT", "a chunk max exceeds the main chunk max");
    }
    if (params.dense && !(Number.isInteger(params.dense.belowBits) && params.dense.belowBits > 0 && params.dense.belowBits <= 8)) {
      throw new FormatError("BAD_ARGUMENT", "dense.belowBits must be an integer in 1..8");
    }
    // Int32Array: the hash loop then stays in small-integer arithmetic (same bits as u32).
    this.gear = new Int32Array(gearTable(chunkerKey).buffer);
    this.regular = this.body = cutOf(params);
    this.head = params.head ? cutOf(params.head) : this.body;
    this.dense = params.dense ? { ...cutOf(params.dense), belowBits: params.dense.belowBits } : null;
  }

  push(data: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    const n = data.length;
    let start = 0; // where the current chunk's part of `data` begins
    let i = 0;
    while (i < n) {
      const first = this.first;
      const cut = this.scan(data, i);
      if (cut < 0) break;
      const chunk = this.take(data, start, cut);
      if (first && this.dense && looksCompressible(chunk, this.dense.belowBits)) this.body = this.dense;
      out.push(chunk);
      start = i = cut;
    }
    if (start < n) this.hold(data, start, n);
    return out;
  }

  /** Returns the final partial chunk (null when nothing is pending) and resets for reuse. */
  finish(): Buffer | null {
    const rest = this.tailLen > 0 ? Buffer.from(this.tail.subarray(0, this.tailLen)) : null;
    this.tailLen = 0;
    this.len = 0;
    this.hash = 0;
    this.first = true;
    this.body = this.regular;
    return rest;
  }

  /**
   * Scans data from `from`, continuing the current chunk's state. Returns the exclusive end
   * index of the chunk in `data` when a cut point is found, else -1 (state saved).
   */
  private scan(data: Uint8Array, from: number): number {
    const n = data.length;
    const gear = this.gear;
    const { min, avg, max, maskS, maskL } = this.first ? this.head : this.body;
    let i = from;
    let len = this.len;
    let h = this.hash;
    // Cut-point skipping: no cut can fall below min, so those bytes are not hashed at all.
    if (len < min) {
      const skip = Math.min(min - len, n - i);
      i += skip;
      len += skip;
      if (len < min) {
        this.len = len;
        return -1;
      }
    }
    if (len < avg) {
      const end = i + Math.min(avg - len, n - i);
      const begin = i;
      for (; i < end; i++) {
        h = ((h << 1) + gear[data[i]!]!) | 0;
        if ((h & maskS) === 0) return this.cutAt(i + 1);
      }
      len += i - begin;
    }
    if (len >= avg) {
      const end = i + Math.min(max - len, n - i);
      const begin = i;
      for (; i < end; i++) {
        h = ((h << 1) + gear[data[i]!]!) | 0;
        if ((h & maskL) === 0) return this.cutAt(i + 1);
      }
      len += i - begin;
      if (len >= max) return this.cutAt(i);
    }
    this.len = len;
    this.hash = h;
    return -1;
  }

  private cutAt(end: number): number {
    this.len = 0;
    this.hash = 0;
    this.first = false;
    return end;
  }

  /** Builds a completed chunk from the held tail plus data[start, end). */
  private take(data: Uint8Array, start: number, end: number): Buffer {
    const chunk = Buffer.allocUnsafe(this.tailLen + end - start);
    if (this.tailLen > 0) this.tail.copy(chunk, 0, 0, this.tailLen);
    chunk.set(data.subarray(start, end), this.tailLen);
    this.tailLen = 0;
    return chunk;
  }

  /** Keeps data[start, end) for the next call; the tail grows geometrically, capped at max. */
  private hold(data: Uint8Array, start: number, end: number): void {
    const need = this.tailLen + end - start;
    if (need > this.tail.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.regular.max, Math.max(need, this.tail.length * 2, 64 * 1024)));
      this.tail.copy(grown, 0, 0, this.tailLen);
      this.tail = grown;
    }
    this.tail.set(data.subarray(start, end), this.tailLen);
    this.tailLen = need;
  }
}
