// scrypt (RFC 7914) for the browser, which has no scrypt: PBKDF2-HMAC-SHA256 from WebCrypto around
// ROMix over Salsa20/8, as the RFC writes it. A stopgap until a maintained package is a
// dependency (@noble/hashes' scrypt, reported to the lead): test/unit/uploader/format/web-scrypt.test.ts
// checks it against RFC 7914's vectors and node:crypto's scrypt. Memory: 128·N·r bytes, which the
// caller has bounded (MAX_SCRYPT_MEMORY). Words are read and written little-endian explicitly, so
// the result does not depend on the platform's byte order.
import type { ScryptCost } from "./primitives.ts";

const view = (u: Uint8Array) => u as Uint8Array<ArrayBuffer>;

async function pbkdf2(subtle: SubtleCrypto, password: Uint8Array, salt: Uint8Array, bytes: number): Promise<Uint8Array> {
  const key = await subtle.importKey("raw", view(password), "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: view(salt), iterations: 1 }, key, bytes * 8));
}

const rotl = (a: number, n: number) => (a << n) | (a >>> (32 - n));

/** One Salsa20 quarter-round on words a, b, c, d of `x`. */
function quarter(x: Uint32Array, a: number, b: number, c: number, d: number): void {
  x[b]! ^= rotl(x[a]! + x[d]!, 7);
  x[c]! ^= rotl(x[b]! + x[a]!, 9);
  x[d]! ^= rotl(x[c]! + x[b]!, 13);
  x[a]! ^= rotl(x[d]! + x[c]!, 18);
}

/** Salsa20/8 core on the 16 words of `b` at `o`, in place; `x` is scratch. */
function salsa8(b: Uint32Array, o: number, x: Uint32Array): void {
  for (let i = 0; i < 16; i++) x[i] = b[o + i]!;
  for (let i = 0; i < 8; i += 2) {
    // column round, then row round
    quarter(x, 0, 4, 8, 12);
    quarter(x, 5, 9, 13, 1);
    quarter(x, 10, 14, 2, 6);
    quarter(x, 15, 3, 7, 11);
    quarter(x, 0, 1, 2, 3);
    quarter(x, 5, 6, 7, 4);
    quarter(x, 10, 11, 8, 9);
    quarter(x, 15, 12, 13, 14);
  }
  for (let i = 0; i < 16; i++) b[o + i] = b[o + i]! + x[i]!;
}

/** BlockMix: `input` (2r blocks of 16 words) into `out`, even blocks first, then odd ones. */
function blockMix(input: Uint32Array, out: Uint32Array, r: number, t: Uint32Array, x: Uint32Array): void {
  t.set(input.subarray((2 * r - 1) * 16, 2 * r * 16));
  for (let i = 0; i < 2 * r; i++) {
    for (let k = 0; k < 16; k++) t[k]! ^= input[i * 16 + k]!;
    salsa8(t, 0, x);
    out.set(t, (i % 2 === 0 ? i / 2 : r + (i - 1) / 2) * 16);
  }
}

function roMix(block: Uint32Array, N: number, r: number): void {
  const words = 32 * r;
  const v = new Uint32Array(words * N);
  let a = Uint32Array.from(block);
  let b = new Uint32Array(words);
  const t = new Uint32Array(16);
  const x = new Uint32Array(16);
  for (let i = 0; i < N; i++) {
    v.set(a, i * words);
    blockMix(a, b, r, t, x);
    [a, b] = [b, a];
  }
  for (let i = 0; i < N; i++) {
    const j = a[(2 * r - 1) * 16]! & (N - 1); // Integerify: N <= 2^20, the low word is enough
    for (let k = 0; k < words; k++) a[k]! ^= v[j * words + k]!;
    blockMix(a, b, r, t, x);
    [a, b] = [b, a];
  }
  block.set(a);
}

export async function webScrypt(
  subtle: SubtleCrypto,
  password: Uint8Array,
  salt: Uint8Array,
  { N, r, p }: ScryptCost,
  length: number,
): Promise<Uint8Array> {
  const bytes = await pbkdf2(subtle, password, salt, p * 128 * r);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const words = 32 * r;
  for (let i = 0; i < p; i++) {
    const block = new Uint32Array(words);
    for (let k = 0; k < words; k++) block[k] = dv.getUint32((i * words + k) * 4, true);
    roMix(block, N, r);
    for (let k = 0; k < words; k++) dv.setUint32((i * words + k) * 4, block[k]!, true);
  }
  return pbkdf2(subtle, password, bytes, length);
}
