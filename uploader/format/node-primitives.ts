// The format's primitives (primitives.ts) on node:crypto and the CLI's zstd engine: what
// `datasafe restore` and `verify` open restore points with. Each call does the work at once, in
// the calling thread (a crypto worker's, in a restore); the promises are only the interface's.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  diffieHellman,
  hkdfSync,
  randomBytes,
  scrypt,
  verify,
} from "node:crypto";
import { promisify } from "node:util";
import { brotliDecompress } from "node:zlib";
import { TAG_SIZE } from "./constants.ts";
import { FormatError } from "./errors.ts";
import type { FormatPrimitives } from "./primitives.ts";
import { privateKeyFromRaw, publicKeyFromRaw, publicKeyToRaw } from "./rawkeys.ts";
import { zstdEngine } from "./zstd-engine.ts";

const brotliDecompressAsync = promisify(brotliDecompress);

/**
 * zlib's output buffer size for brotli decoding: the default 16 KiB means one round trip from
 * the thread pool to JavaScript per 16 KiB of output; 256 KiB cut restore's decompression
 * overhead on the main thread (measured in a CPU profile).
 */
const ZLIB_CHUNK_SIZE = 256 * 1024;

const buf = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength));

export const nodePrimitives: FormatPrimitives = {
  name: "node:crypto",
  randomBytes: (n) => randomBytes(n),
  sha256: async (data) => createHash("sha256").update(data).digest(),
  hmacSha256: async (key, data) => createHmac("sha256", key).update(data).digest(),
  hkdfSha256: async (ikm, salt, info, length) => Buffer.from(hkdfSync("sha256", ikm, salt, info, length)),
  async aesGcmEncrypt(key, iv, aad, plain) {
    const c = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_SIZE });
    c.setAAD(aad);
    return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  },
  async aesGcmDecrypt(key, iv, aad, sealed) {
    if (sealed.length < TAG_SIZE) throw new Error("AES-GCM input shorter than its tag");
    const d = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_SIZE });
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
    // AES-GCM hands back every byte from update(); final() only checks the tag (no second copy).
    const head = d.update(sealed.subarray(0, sealed.length - TAG_SIZE));
    const tail = d.final();
    return tail.length ? Buffer.concat([head, tail]) : head;
  },
  x25519PublicKey: async (privateKey) => publicKeyToRaw(privateKeyFromRaw("x25519", privateKey)),
  x25519: async (privateKey, publicKey) =>
    diffieHellman({ privateKey: privateKeyFromRaw("x25519", privateKey), publicKey: publicKeyFromRaw("x25519", publicKey) }),
  ed25519PublicKey: async (seed) => publicKeyToRaw(privateKeyFromRaw("ed25519", seed)),
  async ed25519Verify(publicKey, message, signature) {
    try {
      return verify(null, message, publicKeyFromRaw("ed25519", publicKey), signature);
    } catch {
      return false;
    }
  },
  scrypt(password, salt, { N, r, p }, length) {
    // scrypt needs 128*N*r bytes (+ 128*r*p); Node's default maxmem is 32 MiB. On libuv's pool.
    const maxmem = 128 * N * r + 128 * r * p + 16 * 1024 * 1024;
    return new Promise((resolve, reject) => scrypt(password, salt, length, { N, r, p, maxmem }, (e, k) => (e ? reject(e) : resolve(k))));
  },
  zstdDecompress: async (frame, size) => zstdEngine().decompress(buf(frame), size),
  async brotliDecompress(data, maxSize) {
    let out: Buffer;
    try {
      out = await brotliDecompressAsync(data, { maxOutputLength: Math.max(1, maxSize), chunkSize: ZLIB_CHUNK_SIZE });
    } catch (err) {
      if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
        throw new FormatError("TOO_LARGE", `output > ${maxSize}`, { cause: err });
      throw err;
    }
    return out;
  },
};
