// Deterministic randomness for the bench's synthetic data: the same seed gives the same bytes on
// every machine, so two runs (and DataSafe and restic within a run) back up identical trees.
import { createCipheriv, createHash } from "node:crypto";

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counter): 32-bit state words, passes PractRand, and
 * stays in V8's small-integer arithmetic. For choices (which word, which offset), not bulk bytes.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  constructor(seed: string) {
    const h = createHash("sha256").update(seed).digest();
    this.a = h.readUInt32LE(0);
    this.b = h.readUInt32LE(4);
    this.c = h.readUInt32LE(8);
    for (let i = 0; i < 12; i++) this.u32(); // mix the seed in, as the reference does
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/**
 * Incompressible bytes (photo bodies) at AES speed (GB/s with AES-NI): AES-256-CTR keyed by
 * SHA-256(seed) over zeros. A JS PRNG would cost ~1 s per 500 MB of generated photos.
 */
export class ByteStream {
  private readonly cipher;
  private readonly zeros = Buffer.alloc(1024 * 1024);

  constructor(seed: string) {
    const key = createHash("sha256").update(`bytes:${seed}`).digest();
    this.cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  }

  next(n: number): Buffer {
    const parts: Buffer[] = [];
    for (let left = n; left > 0; left -= this.zeros.length) {
      parts.push(this.cipher.update(this.zeros.subarray(0, Math.min(left, this.zeros.length))));
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}
