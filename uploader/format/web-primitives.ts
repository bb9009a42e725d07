// The format's primitives (primitives.ts) on WebCrypto: what the owner portal's restore page opens
// restore points with, in the browser. AES-GCM, HKDF, HMAC, SHA-256, X25519 and Ed25519 are
// WebCrypto's (Chromium and Firefox have all of them). WebCrypto has no scrypt and Chromium 156 no
// zstd (neither WebCrypto nor DecompressionStream): scrypt is @noble/hashes' (audited, pure JS) and
// zstd decoding fzstd's (pure JS). In Node the same code runs on globalThis.crypto.subtle (the
// vectors test does so).
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { decompress } from "fzstd";
import { FormatError } from "./errors.ts";
import type { FormatPrimitives } from "./primitives.ts";

/** RFC 8410's fixed PKCS#8 headers: WebCrypto imports raw private keys only this way. */
const PKCS8_PREFIX = {
  X25519: [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20],
  Ed25519: [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20],
} as const;

// TypeScript's DOM types want ArrayBuffer-backed views; every view here is one.
const bs = (u: Uint8Array) => u as Uint8Array<ArrayBuffer>;
const utf8 = new TextEncoder();

function pkcs8(kind: keyof typeof PKCS8_PREFIX, raw: Uint8Array): Uint8Array<ArrayBuffer> {
  if (raw.length !== 32) throw new FormatError("BAD_KEY", "private key must be 32 bytes");
  const der = new Uint8Array(48);
  der.set(PKCS8_PREFIX[kind]);
  der.set(raw, 16);
  return der;
}

function fromBase64Url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function webPrimitives(crypto: Crypto = globalThis.crypto): FormatPrimitives {
  const subtle = crypto.subtle;
  if (!subtle) throw new Error("WebCrypto is unavailable (the page must be served over HTTPS or from localhost)");
  async function publicOf(kind: keyof typeof PKCS8_PREFIX, raw: Uint8Array): Promise<Uint8Array> {
    const key = await subtle.importKey("pkcs8", pkcs8(kind, raw), { name: kind }, true, kind === "X25519" ? ["deriveBits"] : ["sign"]);
    const jwk = await subtle.exportKey("jwk", key);
    return fromBase64Url(jwk.x ?? "");
  }
  return {
    name: "WebCrypto",
    randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
    sha256: async (data) => new Uint8Array(await subtle.digest("SHA-256", bs(data))),
    async hmacSha256(key, data) {
      const k = await subtle.importKey("raw", bs(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      return new Uint8Array(await subtle.sign("HMAC", k, bs(data)));
    },
    async hkdfSha256(ikm, salt, info, length) {
      const k = await subtle.importKey("raw", bs(ikm), "HKDF", false, ["deriveBits"]);
      const params = { name: "HKDF", hash: "SHA-256", salt: bs(salt), info: utf8.encode(info) };
      return new Uint8Array(await subtle.deriveBits(params, k, length * 8));
    },
    async aesGcmEncrypt(key, iv, aad, plain) {
      const k = await subtle.importKey("raw", bs(key), "AES-GCM", false, ["encrypt"]);
      return new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: bs(iv), additionalData: bs(aad), tagLength: 128 }, k, bs(plain)));
    },
    async aesGcmDecrypt(key, iv, aad, sealed) {
      const k = await subtle.importKey("raw", bs(key), "AES-GCM", false, ["decrypt"]);
      return new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: bs(iv), additionalData: bs(aad), tagLength: 128 }, k, bs(sealed)));
    },
    x25519PublicKey: (privateKey) => publicOf("X25519", privateKey),
    async x25519(privateKey, publicKey) {
      const priv = await subtle.importKey("pkcs8", pkcs8("X25519", privateKey), { name: "X25519" }, false, ["deriveBits"]);
      const pub = await subtle.importKey("raw", bs(publicKey), { name: "X25519" }, false, []);
      return new Uint8Array(await subtle.deriveBits({ name: "X25519", public: pub }, priv, 256));
    },
    ed25519PublicKey: (seed) => publicOf("Ed25519", seed),
    async ed25519Verify(publicKey, message, signature) {
      try {
        const k = await subtle.importKey("raw", bs(publicKey), { name: "Ed25519" }, false, ["verify"]);
        return await subtle.verify({ name: "Ed25519" }, k, bs(signature), bs(message));
      } catch {
        return false;
      }
    },
    // The cost is bounded by the caller (keys-shape.ts); maxmem only has to admit it.
    scrypt: (password, salt, { N, r, p }, length) =>
      scryptAsync(password, salt, { N, r, p, dkLen: length, maxmem: 128 * N * r + 128 * r * p + 16 * 1024 * 1024 }),
    async zstdDecompress(frame, size) {
      const out = decompress(frame);
      if (out.length !== size) throw new FormatError("CORRUPT", `zstd frame gave ${out.length} bytes, its header says ${size}`);
      return out;
    },
    brotliDecompress: null,
  };
}
